import ArgumentParser
import Dispatch
import Foundation
import SwiftTuneCore
import SwiftTuneServer

/// `swifttune deploy`: the OpenAI-compatible server (``OpenAIServer`` over a ``BatchingEngine``) on one model and
/// any number of LoRA adapters, as ms-swift's `swift deploy`.
struct DeployCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy",
        abstract: "Serve the model (and LoRA adapters) over an OpenAI-compatible HTTP API with continuous batching.")

    @Option(help: "A Hugging Face model folder (config.json, *.safetensors, tokenizer.json).") var model: String
    @Option(parsing: .upToNextOption, help: ArgumentHelp("PEFT adapter folders, each served under its name: NAME=DIR (a bare DIR is named after its folder).",
                                                        valueName: "name=dir"))
    var adapters: [String] = []
    @Option(help: "Quantize the decoder projections: nf4.") var quantize: String?
    @Option(help: "The base model's name in requests and /v1/models (default: the model folder's name).") var servedModelName: String?
    @Option(help: "The address to listen on (loopback by default).") var host = "127.0.0.1"
    @Option(help: "The port; 0 picks a free one (printed as 'listening on http://HOST:PORT').") var port = 8000
    @Option(help: "An API key clients must send (Authorization: Bearer KEY or X-Api-Key: KEY); repeat for several.") var apiKey: [String] = []
    @Option(help: "Rows decoded together; a request's n choices take n rows.") var maxBatchSize = 8
    @Option(help: "Requests that may wait for rows; beyond them requests are refused with 429.") var maxQueue = 64
    @Option(help: "Tokens per row, prompt included (default: the model's max_position_embeddings).") var maxModelLen: Int?
    @OptionGroup var templateOptions: TemplateOptions
    @Option(help: "Kernel threads (default: all cores).") var threads: Int?

    func validate() throws {
        if let quantize, quantize != "nf4" { throw ValidationError("--quantize supports nf4, not '\(quantize)'") }
        if !(0...65535).contains(port) { throw OptionRange.failure("--port", port, "an integer in [0, 65535]") }
        try OptionRange.atLeast("--max-batch-size (ms-swift --max_batch_size)", maxBatchSize, 1)
        try OptionRange.atLeast("--max-queue", maxQueue, 1)
        if let maxModelLen { try OptionRange.atLeast("--max-model-len (ms-swift --max_model_len)", maxModelLen, 2) }
        if let empty = apiKey.first(where: \.isEmpty) { throw ValidationError("--api-key must not be empty ('\(empty)')") }
        try OptionRange.threads(threads)
        _ = try adapterList()
    }

    /// `NAME=DIR` pairs; names unique and different from the served model name.
    func adapterList() throws -> [ServedModels.Adapter] {
        var out: [ServedModels.Adapter] = []
        for spec in adapters {
            let parts = spec.split(separator: "=", maxSplits: 1).map(String.init)
            let (name, path) = parts.count == 2 ? (parts[0], parts[1]) : (URL(fileURLWithPath: spec).lastPathComponent, spec)
            guard !name.isEmpty, !path.isEmpty else { throw ValidationError("--adapters '\(spec)': expected NAME=DIR") }
            guard !out.contains(where: { $0.name == name }), name != baseName else {
                throw ValidationError("--adapters: the name '\(name)' is used twice (adapters and --served-model-name must differ)")
            }
            out.append(ServedModels.Adapter(name: name, path: path))
        }
        return out
    }

    var baseName: String { servedModelName ?? URL(fileURLWithPath: model).standardizedFileURL.lastPathComponent }

    func run() throws {
        if let threads { Runtime.threadCount = threads }
        let folder = URL(fileURLWithPath: model)
        let tokenizer = try Tokenizer(directory: folder)
        let (template, context) = try templateOptions.resolve(for: tokenizer)
        let prompts = PromptBuilder(tokenizer: tokenizer, template: template, context: context, defaultSystem: templateOptions.system)
        let adapters = try adapterList()
        let quantize = self.quantize
        Console.status("loading \(model)\(adapters.isEmpty ? "" : " and \(adapters.count) adapter(s)")…\n")
        let engine = try BatchingEngine(configuration: .init(maxBatchSize: maxBatchSize, maxModelLength: maxModelLen, maxQueue: maxQueue),
                                        tokenizer: tokenizer) {
            let model = try ModelFolder(folder).load(Float.self, quantizingProjectionsToNF4: quantize == "nf4")
            try ModelTransforms.apply(to: model, adapters: nil, quantize: quantize)
            let bank = adapters.isEmpty ? nil
                : try AdapterBank(model: model, adapters: adapters.map { (name: $0.name, folder: URL(fileURLWithPath: $0.path)) })
            return BatchingEngine.LoadedModel(model: model, adapters: bank)
        }
        let configuration = ServerConfiguration(host: host, port: port, apiKeys: apiKey,
                                                models: ServedModels(baseName: baseName, basePath: folder.standardizedFileURL.path,
                                                                     adapters: adapters))
        let server = OpenAIServer(configuration: configuration, engine: engine, prompts: prompts)
        let host = self.host, limits = engine.limits
        do {
            try server.runBlocking { port in
                print("listening on http://\(host):\(port) (max model length \(limits.maxModelLength), batch \(limits.maxBatchSize), queue \(limits.maxQueue))")
            }
        } catch {
            throw CommandError("the server stopped: \(error)")
        }
        Console.status("server stopped\n")
    }
}

