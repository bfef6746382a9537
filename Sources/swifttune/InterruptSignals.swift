import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The signal that asked the training loop to stop (`SIGINT` or `SIGTERM`), 0 while none has; written only by
/// the handler, read by the loop after every step.
nonisolated(unsafe) var interruptSignal: sig_atomic_t = 0

/// SIGINT (Ctrl-C) and SIGTERM during training: the first one asks the loop to stop after the current step, save a
/// checkpoint and exit with 128 + the signal's number (130, 143), as shells report a process killed by it. The
/// handler is one-shot (`SA_RESETHAND`): a second signal while the checkpoint is being written ends the process at
/// once, which the transactional checkpoint write survives.
enum InterruptSignals {
    static let handled: [Int32] = [SIGINT, SIGTERM]

    /// Installs the handler for both signals, and unblocks them in this thread (a parent may have spawned us with
    /// them blocked, as Foundation's `Process` does from some threads; a blocked signal would stay pending forever).
    static func install() {
        interruptSignal = 0
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for signal in handled { sigaddset(&unblock, signal) }
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        for signal in handled {
            var action = sigaction()
            #if canImport(Glibc)
            action.__sigaction_handler.sa_handler = { received in interruptSignal = sig_atomic_t(received) }
            #else
            action.__sigaction_u.__sa_handler = { received in interruptSignal = sig_atomic_t(received) }
            #endif
            sigemptyset(&action.sa_mask)
            action.sa_flags = Int32(truncatingIfNeeded: SA_RESETHAND)   // 0x80000000 on Linux
            sigaction(signal, &action, nil)
        }
    }

    /// Restores the default action of both signals (after training).
    static func uninstall() {
        for signal in handled {
            var action = sigaction()
            #if canImport(Glibc)
            action.__sigaction_handler.sa_handler = SIG_DFL
            #else
            action.__sigaction_u.__sa_handler = SIG_DFL
            #endif
            sigemptyset(&action.sa_mask)
            sigaction(signal, &action, nil)
        }
    }

    /// Whether a signal has asked to stop.
    static var requested: Bool { interruptSignal != 0 }

    /// The exit status of a run stopped by the signal received: 128 + its number.
    static var exitCode: ExitCode { ExitCode(128 + Int32(interruptSignal)) }

    /// The signal's name, for the message.
    static var name: String { interruptSignal == SIGTERM ? "SIGTERM" : "SIGINT" }
}
