/// The names of the files that make up a model folder.
extension ModelFolder {
    /// The tokenizer files a model folder may hold (copied along when a model is saved).
    public static let tokenizerFileNames = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                                            "vocab.json", "merges.txt", "tokenizer.model", "chat_template.jinja"]

    /// The files a saved model owns in its folder: replaced together by
    /// ``CausalLanguageModel/save(to:dtype:tokenizerSource:)``, which drops the old ones it does not write again
    /// (an old `model.safetensors.index.json`, tokenizer files the new source lacks) and keeps every other entry.
    public static let ownedFileNames: Set<String> = Set(["config.json", "generation_config.json", "model.safetensors",
                                                         "model.safetensors.index.json"] + tokenizerFileNames)
}
