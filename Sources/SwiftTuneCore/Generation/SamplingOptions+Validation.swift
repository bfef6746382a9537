extension SamplingOptions {
    /// Checks the options: `temperature` finite and ≥ 0, `topK` ≥ 0, `topP` in (0, 1], `repetitionPenalty` finite
    /// and > 0 (transformers' ranges). ``CausalLanguageModel/generate(prompts:maxNewTokens:sampling:stopTokens:onToken:)``
    /// runs this first.
    /// - Throws: ``ModelInputError/invalidGenerationSetting(name:value:requirement:)`` naming the option.
    public func validate() throws {
        func fail(_ name: String, _ value: Any, _ requirement: String) -> ModelInputError {
            .invalidGenerationSetting(name: name, value: "\(value)", requirement: requirement)
        }
        if !(temperature.isFinite && temperature >= 0) { throw fail("temperature", temperature, "must be a finite number ≥ 0") }
        if topK < 0 { throw fail("top_k", topK, "must be ≥ 0 (0 keeps every token)") }
        if !(topP > 0 && topP <= 1) { throw fail("top_p", topP, "must be in (0, 1]") }
        if !(repetitionPenalty.isFinite && repetitionPenalty > 0) {
            throw fail("repetition_penalty", repetitionPenalty, "must be a finite number > 0")
        }
    }
}
