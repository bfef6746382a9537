extension SamplingOptions {
    /// Checks the options: `temperature` finite and ≥ 0, `topK` ≥ 0, `topP` in (0, 1], `minP` in [0, 1],
    /// `repetitionPenalty` finite and > 0 (transformers' ranges), `presencePenalty` and `frequencyPenalty` in
    /// [−2, 2] (OpenAI's range). ``CausalLanguageModel/generate(prompts:maxNewTokens:sampling:stopTokens:onToken:)``
    /// and ``TokenSampler/init(options:prompt:)`` run this first.
    /// - Throws: ``ModelInputError/invalidGenerationSetting(name:value:requirement:)`` naming the option
    ///   (`temperature`, `top_k`, `top_p`, `min_p`, `repetition_penalty`, `presence_penalty`, `frequency_penalty`).
    public func validate() throws {
        func fail(_ name: String, _ value: Any, _ requirement: String) -> ModelInputError {
            .invalidGenerationSetting(name: name, value: "\(value)", requirement: requirement)
        }
        if !(temperature.isFinite && temperature >= 0) { throw fail("temperature", temperature, "must be a finite number ≥ 0") }
        if topK < 0 { throw fail("top_k", topK, "must be ≥ 0 (0 keeps every token)") }
        if !(topP > 0 && topP <= 1) { throw fail("top_p", topP, "must be in (0, 1]") }
        if !(minP >= 0 && minP <= 1) { throw fail("min_p", minP, "must be in [0, 1] (0 keeps every token)") }
        if !(repetitionPenalty.isFinite && repetitionPenalty > 0) {
            throw fail("repetition_penalty", repetitionPenalty, "must be a finite number > 0")
        }
        if !(presencePenalty >= -2 && presencePenalty <= 2) {
            throw fail("presence_penalty", presencePenalty, "must be in [-2, 2]")
        }
        if !(frequencyPenalty >= -2 && frequencyPenalty <= 2) {
            throw fail("frequency_penalty", frequencyPenalty, "must be in [-2, 2]")
        }
    }
}
