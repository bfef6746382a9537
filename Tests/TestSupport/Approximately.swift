import SwiftTuneCore

/// The largest absolute difference between two equally long sequences, and where it occurs.
public func maxAbsoluteDifference<A: Collection, B: Collection>(_ a: A, _ b: B) -> (value: Double, index: Int)
where A.Element: TensorElement, B.Element: TensorElement {
    precondition(a.count == b.count, "comparing \(a.count) values with \(b.count)")
    var worst = (value: 0.0, index: -1)
    for (i, (x, y)) in zip(a, b).enumerated() {
        let (dx, dy) = (Double(x.floatValue), Double(y.floatValue))
        if dx.isNaN != dy.isNaN { return (.infinity, i) }
        if dx.isNaN { continue }
        if dx == dy { continue }
        let d = Swift.abs(dx - dy)
        if d > worst.value || d.isNaN { worst = (d, i) }
    }
    return worst
}

/// `true` when |a − b| ≤ atol + rtol·|b| for every element (NaNs must match). On failure, `report` describes the
/// worst element as "expected …, observed …, tolerance …".
public func allClose(_ observed: [Double], _ expected: [Double], rtol: Double, atol: Double) -> (ok: Bool, report: String) {
    guard observed.count == expected.count else {
        return (false, "count: expected \(expected.count), observed \(observed.count)")
    }
    var worstExcess = 0.0
    var report = "ok"
    var ok = true
    for i in 0..<observed.count {
        let (o, e) = (observed[i], expected[i])
        if o.isNaN || e.isNaN {
            if o.isNaN != e.isNaN { return (false, "index \(i): expected \(e), observed \(o)") }
            continue
        }
        if o == e { continue }
        let tol = atol + rtol * Swift.abs(e)
        let diff = Swift.abs(o - e)
        if !(diff <= tol) {
            ok = false
            if diff - tol > worstExcess || worstExcess == 0 {
                worstExcess = diff - tol
                report = "index \(i): expected \(e), observed \(o), |diff| \(diff) > tolerance \(tol) (rtol \(rtol), atol \(atol))"
            }
        }
    }
    return (ok, report)
}

extension Tensor where Scalar: TensorScalar {
    /// The elements as `Double`s (for comparisons).
    public var doubles: [Double] { scalars.map { $0.doubleValue } }
}
