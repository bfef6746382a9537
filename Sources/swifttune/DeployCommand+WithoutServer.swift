#if !Server
import ArgumentParser

/// `swifttune deploy` in a build without the `Server` trait: the command exists (so `swifttune --help` and ms-swift
/// spellings stay the same) and says how to get the server instead of failing as an unknown subcommand.
struct DeployCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy",
        abstract: "Serve the model over an OpenAI-compatible HTTP API (needs a build with `--traits Server`).")

    @Argument(parsing: .allUnrecognized, help: "The options of `swifttune deploy` (see Documentation/Serving.md).")
    var arguments: [String] = []

    func run() throws {
        throw ValidationError("""
            this swifttune was built without the Server trait, so it has no HTTP server. \
            Rebuild with `swift build -c release --traits Server --product swifttune` (Scripts/ do) and run deploy again.
            """)
    }
}
#endif
