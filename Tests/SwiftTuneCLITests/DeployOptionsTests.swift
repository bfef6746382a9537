import Foundation
import Testing
@testable import swifttune

/// `swifttune deploy`'s options: both spellings, defaults, and refusals naming the option.
@Suite("deploy options")
struct DeployOptionsTests {
    let model = repositoryPath("Defaults/model")

    func deploy(_ arguments: [String]) throws -> DeployCommand {
        try #require(parse(["deploy", "--model", model] + arguments).command as? DeployCommand)
    }

    @Test func defaultsAreLoopbackPort8000AndIssueSizes() throws {
        let d = try deploy([])
        #expect(d.host == "127.0.0.1" && d.port == 8000 && d.maxBatchSize == 8 && d.maxQueue == 64 && d.maxModelLen == nil)
        #expect(d.baseName == "model" && d.apiKey.isEmpty && d.adapters.isEmpty)
    }

    @Test func msSwiftSpellingsAgree() throws {
        let kebab = try deploy(["--served-model-name", "m", "--max-batch-size", "4", "--max-model-len", "128", "--api-key", "k",
                                "--port", "0", "--adapters", "a=/x/a", "/y/b", "--max-queue", "3"])
        let snake = try deploy(["--served_model_name", "m", "--max_batch_size", "4", "--max_model_len", "128", "--api_key", "k",
                                "--port", "0", "--adapters", "a=/x/a", "/y/b", "--max_queue", "3"])
        for d in [kebab, snake] {
            #expect(d.baseName == "m" && d.maxBatchSize == 4 && d.maxModelLen == 128 && d.apiKey == ["k"] && d.port == 0 && d.maxQueue == 3)
            #expect(try d.adapterList().map(\.name) == ["a", "b"])
            #expect(try d.adapterList().map(\.path) == ["/x/a", "/y/b"])
        }
    }

    @Test(arguments: [
        (["--max-batch-size", "0"], "--max-batch-size"), (["--max-queue", "0"], "--max-queue"), (["--port", "70000"], "--port"),
        (["--max-model-len", "1"], "--max-model-len"), (["--quantize", "int8"], "--quantize"),
        (["--adapters", "a=/x", "a=/y"], "'a'"), (["--adapters", "model=/x"], "'model'"), (["--api-key", ""], "--api-key"),
    ])
    func badOptionsAreRefusedNamingThem(_ arguments: [String], _ named: String) throws {
        #expect(throws: (any Error).self) { try deploy(arguments) }
        do { _ = try deploy(arguments) } catch {
            #expect(SwiftTuneCommand.message(for: error).contains(named), "\(SwiftTuneCommand.message(for: error))")
        }
    }
}
