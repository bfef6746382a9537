// Templates that hung or trapped the Jinja interpreter, found by Fuzz/FuzzJinja (Scripts/fuzz.sh jinja) or while
// triaging what it found.
import Foundation
import Testing
import SwiftTuneCore

@Suite struct JinjaFuzzTests {
    /// An empty string times a huge count built the empty string 3^22 times (the fuzzer's timeout input was
    /// `{{ 0 *strftime_now('%Y')* 3 ** 22}}`: `0 * '2026'` is `''`). It is `''` at once, as in Python.
    /// The time limit only turns a regression into a failure instead of a hung run.
    @Test(.timeLimit(.minutes(1)), arguments: [
        "{{ '' * 3 ** 22 }}", "{{ 3 ** 22 * '' }}", "{{ 0 * strftime_now('%Y') * 3 ** 22 }}",
        "{{ ('' * 9223372036854775807) | length }}", "{{ 'ab' * 0 }}{{ 'ab' * -5 }}",
    ])
    func emptyRepetitionIsEmpty(source: String) throws {
        let template = try JinjaTemplate(source: source, name: "fuzz.jinja")
        let text = try template.render([:])
        #expect(text == (source.contains("length") ? "0" : ""), "\(source) rendered \(text.debugDescription)")
    }

    /// Non-empty repetition still works and still stops at the output limit.
    @Test func nonEmptyRepetitionKeepsItsLimit() throws {
        #expect(try JinjaTemplate(source: "{{ 'ab' * 3 }}").render([:]) == "ababab")
        let options = JinjaOptions(limits: JinjaLimits(maxOutputBytes: 100))
        let error = #expect(throws: JinjaError.self) {
            try JinjaTemplate(source: "{{ 'ab' * 3 ** 22 }}", options: options).render([:])
        }
        #expect(error?.kind == .limit)
    }

    /// `batch` allocated its fill row at once: `[1]|batch(10**12, 0)` was a fatal allocation. Seen while
    /// triaging the repetition hang above; it is now a limit error, like `slice`.
    @Test func hugeBatchFillIsALimitError() {
        let error = #expect(throws: JinjaError.self) {
            try JinjaTemplate(source: "{{ [1]|batch(1000000000000, 0)|list }}", name: "fuzz.jinja").render([:])
        }
        #expect(error?.kind == .limit)
        #expect("\(error.map { "\($0)" } ?? "")".contains("fuzz.jinja"))
    }

    /// Filling up to a sane count, and batching without a fill, still behave as in Jinja2.
    @Test func batchStillFillsAndSplits() throws {
        #expect(try JinjaTemplate(source: "{{ [1, 2, 3]|batch(2, 0)|list }}").render([:]) == "[[1, 2], [3, 0]]")
        #expect(try JinjaTemplate(source: "{{ [1, 2, 3]|batch(1000000000000)|list }}").render([:]) == "[[1, 2, 3]]")
    }
}
