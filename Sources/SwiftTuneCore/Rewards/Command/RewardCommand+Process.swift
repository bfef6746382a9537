import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension RewardCommand {
    /// Spawns `/bin/sh -c command` in a new process group with stdin, stdout and stderr on Unix sockets (stdin
    /// written with `MSG_NOSIGNAL`, so a dead scorer is an error, not SIGPIPE; SIGPIPE at its default in the child).
    func launch() throws {
        var stdinPair: [Int32] = [-1, -1], stdoutPipe: [Int32] = [-1, -1], stderrPipe: [Int32] = [-1, -1]
        // Socket pairs rather than pipes: created close-on-exec atomically (SOCK_CLOEXEC), so no other child
        // spawned meanwhile keeps an end open and hides the scorer's exit.
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        guard socketpair(AF_UNIX, type, 0, &stdinPair) == 0, socketpair(AF_UNIX, type, 0, &stdoutPipe) == 0,
              socketpair(AF_UNIX, type, 0, &stderrPipe) == 0 else {
            throw RewardCommandError.launchFailed(command: command, reason: String(cString: strerror(errno)))
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdinPair[1], 0)
        posix_spawn_file_actions_adddup2(&actions, stdoutPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, stderrPipe[1], 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF))
        posix_spawnattr_setpgroup(&attributes, 0)
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/sh"), strdup("-c"), strdup(command), nil]
        defer { for p in argv { free(p) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, "/bin/sh", &actions, &attributes, argv, environ)
        for fd in [stdinPair[1], stdoutPipe[1], stderrPipe[1]] { close(fd) }
        guard rc == 0 else {
            for fd in [stdinPair[0], stdoutPipe[0], stderrPipe[0]] { close(fd) }
            throw RewardCommandError.launchFailed(command: command, reason: String(cString: strerror(rc)))
        }
        pid = child
        input = stdinPair[0]
        output = stdoutPipe[0]
        errors = stderrPipe[0]
        for fd in [input, output, errors] { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
    }

    /// Kills the process group, reaps the shell and closes the descriptors.
    func terminate() {
        if pid > 0 {
            kill(-pid, SIGKILL)
            var status: Int32 = 0
            _ = waitpid(pid, &status, 0)
            pid = 0
        }
        for fd in [input, output, errors] where fd >= 0 { close(fd) }
        input = -1; output = -1; errors = -1
    }

    /// Milliseconds left until `deadline`, at least 0.
    private func remaining(_ deadline: Date) -> Int32 {
        Int32(Swift.max(0, Swift.min(Double(Int32.max), deadline.timeIntervalSinceNow * 1000).rounded(.up)))
    }

    /// Reads what stderr has (keeping the last 2 KB).
    private func drainErrors() {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while errors >= 0 {
            let n = read(errors, &chunk, chunk.count)
            if n > 0 {
                stderrTail.append(contentsOf: chunk[0..<Int(n)])
                if stderrTail.count > 2048 { stderrTail.removeFirst(stderrTail.count - 2048) }
            } else {
                if n == 0 { close(errors); errors = -1 }
                return
            }
        }
    }

    /// The scorer is gone: its exit status (waiting briefly for it) and stderr.
    private func exitedError() -> RewardCommandError {
        var status: Int32 = 0, description = "closed its stdout"
        for _ in 0..<100 {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid {
                description = status & 0x7F == 0 ? "exit status \((status >> 8) & 0xFF)" : "signal \(status & 0x7F)"
                pid = 0
                break
            }
            usleep(10_000)
        }
        drainErrors()
        let tail = String(decoding: stderrTail, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return .exited(command: command, status: description, stderr: tail)
    }

    func write(_ bytes: [UInt8], deadline: Date) throws {
        var offset = 0
        while offset < bytes.count {
            var fds = [pollfd(fd: input, events: Int16(POLLOUT), revents: 0), pollfd(fd: errors, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&fds, nfds_t(errors >= 0 ? 2 : 1), remaining(deadline))
            if ready == 0 { throw RewardCommandError.timedOut(command: command, seconds: timeout) }
            if ready < 0 { if errno == EINTR { continue }; throw exitedError() }
            if fds[1].revents != 0 { drainErrors() }
            if fds[0].revents & Int16(POLLOUT) != 0 {
                let n = bytes[offset...].withUnsafeBytes { send(input, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if n > 0 { offset += n } else if n < 0, errno != EAGAIN, errno != EINTR { throw exitedError() }
            } else if fds[0].revents & Int16(POLLERR | POLLHUP) != 0 {
                throw exitedError()
            }
        }
    }

    func readLine(deadline: Date) throws -> [UInt8] {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            if let newline = pending.firstIndex(of: 0x0A) {
                let line = Array(pending[..<newline])
                pending.removeFirst(newline + 1)
                return line
            }
            if pending.count > 64 << 20 {
                throw RewardCommandError.malformedResponse(command: command, line: Self.preview(pending),
                                                           reason: "an answer line longer than 64 MB")
            }
            var fds = [pollfd(fd: output, events: Int16(POLLIN), revents: 0), pollfd(fd: errors, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&fds, nfds_t(errors >= 0 ? 2 : 1), remaining(deadline))
            if ready == 0 { throw RewardCommandError.timedOut(command: command, seconds: timeout) }
            if ready < 0 { if errno == EINTR { continue }; throw exitedError() }
            if fds[1].revents != 0 { drainErrors() }
            guard fds[0].revents != 0 else { continue }
            let n = read(output, &chunk, chunk.count)
            if n > 0 { pending.append(contentsOf: chunk[0..<Int(n)]) } else if n == 0 { throw exitedError() } else if errno != EAGAIN, errno != EINTR {
                throw exitedError()
            }
        }
    }
}
