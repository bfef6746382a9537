import Foundation
import Hummingbird
import SwiftTuneCore

/// `POST /tokenize`'s answer (vLLM's): `{"count", "max_model_len", "tokens", "token_strs"}`.
public struct TokenizeResponse: Codable, Sendable, Equatable {
    public var count: Int
    public var maxModelLen: Int
    public var tokens: [Int]
    public var tokenStrs: [String]?
    enum CodingKeys: String, CodingKey { case count, tokens, maxModelLen = "max_model_len", tokenStrs = "token_strs" }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(count, forKey: .count)
        try c.encode(maxModelLen, forKey: .maxModelLen)
        try c.encode(tokens, forKey: .tokens)
        try c.encode(tokenStrs, forKey: .tokenStrs)
    }
}

/// `POST /detokenize`'s answer (vLLM's): `{"prompt"}`.
public struct DetokenizeResponse: Codable, Sendable, Equatable {
    public var prompt: String
}

extension OpenAIServer {
    /// `POST /tokenize`: `{"prompt", "add_special_tokens"}` or `{"messages", "add_generation_prompt"}`, as vLLM.
    func tokenize(_ request: Request) async throws -> Response {
        let f = try RequestFields(try await readJSON(request))
        _ = try configuration.models.adapter(for: try f.string("model"))
        let tokenizer = prompts.tokenizer
        let ids: [Int]
        if let prompt = try f.string("prompt") {
            ids = tokenizer.encode(prompt, addSpecialTokens: try f.bool("add_special_tokens") ?? true)
        } else if case let .array(items)? = f["messages"] {
            var messages: [ChatMessage] = []
            for (i, item) in items.enumerated() { messages.append(try ChatCompletionRequest.message(item, path: "messages[\(i)]")) }
            guard try f.bool("add_generation_prompt") ?? true else {
                throw APIError.unsupported("add_generation_prompt", "the prompt always ends with the generation prompt")
            }
            ids = try prompts.chat(messages)
        } else {
            throw APIError.invalidValue("prompt", "give 'prompt' (a string) or 'messages' (an array)")
        }
        let strings = try f.bool("return_token_strs") ?? false
        return jsonResponse(TokenizeResponse(count: ids.count, maxModelLen: engine.limits.maxModelLength, tokens: ids,
                                             tokenStrs: strings ? ids.map { tokenizer.idToToken($0) ?? "" } : nil))
    }

    /// `POST /detokenize`: `{"tokens": [ids]}` → `{"prompt": text}` (special tokens kept, as vLLM).
    func detokenize(_ request: Request) async throws -> Response {
        let f = try RequestFields(try await readJSON(request))
        _ = try configuration.models.adapter(for: try f.string("model"))
        guard let tokens = f["tokens"] else { throw APIError.invalidValue("tokens", "the field is required") }
        let ids = try f.tokenIDs(tokens, name: "tokens", vocabulary: engine.limits.vocabularySize)
        return jsonResponse(DetokenizeResponse(prompt: prompts.tokenizer.decode(ids, skipSpecialTokens: false)))
    }
}
