import ArgumentParser
import SwiftTuneCore

@main
struct SwiftTuneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swifttune",
        abstract: "Fine-tune and run small language models on the CPU, in Swift.",
        subcommands: [DemoCommand.self]
    )
}
