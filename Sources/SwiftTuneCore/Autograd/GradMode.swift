#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whether operations record the autograd graph on the current thread.
///
/// Recording is on by default. ``withoutGradients(_:)`` turns it off for inference (no graph, no saved
/// activations); the backward pass runs with recording off, and gradient checkpointing turns it back on while it
/// recomputes a block.
public enum GradMode {
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// `true` when operations on the current thread record gradients.
    public static var isEnabled: Bool {
        // The key holds nil (enabled, the default) or a non-nil sentinel (disabled).
        pthread_getspecific(key) == nil
    }

    static func set(_ enabled: Bool) {
        pthread_setspecific(key, enabled ? nil : UnsafeRawPointer(bitPattern: 1))
    }
}

/// Runs `body` without recording gradients: results do not require gradients and no activations are saved.
///
/// ```swift
/// let logits = withoutGradients { model(tokens) }
/// ```
public func withoutGradients<R>(_ body: () throws -> R) rethrows -> R {
    let previous = GradMode.isEnabled
    GradMode.set(false)
    defer { GradMode.set(previous) }
    return try body()
}

/// Runs `body` with gradient recording on, even inside ``withoutGradients(_:)``.
public func withGradients<R>(_ body: () throws -> R) rethrows -> R {
    let previous = GradMode.isEnabled
    GradMode.set(true)
    defer { GradMode.set(previous) }
    return try body()
}
