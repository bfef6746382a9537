import ArgumentParser
import Foundation
import SwiftTuneCore

@main
struct SwiftTuneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swifttune",
        abstract: "Fine-tune and run small language models on the CPU, in Swift.",
        subcommands: [PretrainCommand.self, SFTCommand.self, RLHFCommand.self, InferCommand.self, EvalCommand.self, DeployCommand.self, TokenizeCommand.self,
                      ExportCommand.self, InitCommand.self, DemoCommand.self]
    )

    /// Expands `--config FILE` into options, then translates ms-swift spellings (``ArgumentTranslation``), before
    /// parsing: a file can hold any option, in either spelling, and the command line overrides it.
    static func main() {
        setvbuf(stdout, nil, _IOLBF, 0)   // lines in order with standard error's progress when both go to one log
        do {
            let arguments = try preprocess(Array(CommandLine.arguments.dropFirst()))
            var command = try parseAsRoot(arguments)
            try command.run()
        } catch {
            exit(withError: error)
        }
    }

    /// What ArgumentParser parses for `arguments` (the command line less the program name).
    static func preprocess(_ arguments: [String]) throws -> [String] {
        try ArgumentTranslation.translate(ConfigFile.expand(arguments))
    }
}
