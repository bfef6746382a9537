// libFuzzer target: the bytes are a Jinja chat template.
//
// Parsed with transformers' lexer flags and rendered with a small chat (system, user, assistant with a tool call,
// tool) and one tool, under limits tighter than the defaults so that a runaway loop or output ends within the
// per-input timeout (the limits themselves are tested in JinjaLimitTests). Every error must be a `JinjaError`
// naming the template.
import Foundation
import FuzzDriver
import SwiftTuneCore

private let options = JinjaOptions(trimBlocks: true, lstripBlocks: true, keepTrailingNewline: false,
                                   limits: JinjaLimits(maxOutputBytes: 1 << 20, maxLoopIterations: 100_000,
                                                       maxDepth: 200))

private let context: [String: JinjaValue] = {
    let call: JinjaValue = ["type": "function",
                            "function": ["name": "get_weather", "arguments": ["city": "Paris", "days": 3]]]
    let tool: JinjaValue = ["type": "function",
                            "function": ["name": "get_weather", "description": "Weather forecast",
                                         "parameters": ["type": "object",
                                                        "properties": ["city": ["type": "string"]],
                                                        "required": ["city"]]]]
    let messages: JinjaValue = [
        ["role": "system", "content": "You are helpful."],
        ["role": "user", "content": "Weather in Paris?"],
        ["role": "assistant", "content": "", "tool_calls": [call], "reasoning_content": "Look it up."],
        ["role": "tool", "content": "{\"temp\": 21.5}", "name": "get_weather"],
        ["role": "assistant", "content": "It is 21.5 °C."],
    ]
    return ["messages": messages, "tools": [tool], "add_generation_prompt": true,
            "bos_token": "<s>", "eos_token": "</s>", "enable_thinking": false]
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let source = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    do {
        let template = try JinjaTemplate(source: source, name: "fuzz.jinja", options: options)
        _ = try template.render(context)
        _ = try template.renderTracked(context)
    } catch {
        requireTypedError(error, [JinjaError.self], naming: "fuzz.jinja")
    }
    return 0
}

@main
enum FuzzJinjaMain {
    static func main() { runFuzzer(fuzz) }
}
