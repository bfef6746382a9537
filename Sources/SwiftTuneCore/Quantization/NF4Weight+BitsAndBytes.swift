import Foundation

/// bitsandbytes' serialized layout of a 4-bit weight: what transformers' `save_pretrained` writes for a
/// `Linear4bit` (`Params4bit` data plus `QuantState.as_dict(packed=True)`, bitsandbytes 0.50), `n` weights in
/// `blocks = ceil(n / 64)` blocks, for the weight named `<m>.weight`:
///
///     <m>.weight                                   U8  [ceil(n/2), 1]   packed codes, element 2i in the high nibble
///     <m>.weight.absmax                            U8  [blocks]         8-bit codes of the absmax (double quant.)
///                                                  F32 [blocks]         or the absmax themselves
///     <m>.weight.quant_map                         F32 [16]             the NF4 codebook
///     <m>.weight.nested_absmax                     F32 [ceil(blocks/256)]   second-level scales (double quant.)
///     <m>.weight.nested_quant_map                  F32 [256]            the signed 8-bit dynamic map (double quant.)
///     <m>.weight.quant_state.bitsandbytes__nf4     U8  [bytes]          ``BitsAndBytesQuantState`` as JSON
///
/// ``NF4Weight`` holds exactly these numbers (same packing, same absmax, same double quantization), so writing
/// is a copy and reading needs no re-quantization.
extension NF4Weight {
    /// The suffixes of the tensors beside `<m>.weight`.
    enum BitsAndBytesKey {
        static let absmax = ".absmax"
        static let quantMap = ".quant_map"
        static let nestedAbsmax = ".nested_absmax"
        static let nestedQuantMap = ".nested_quant_map"
        static let quantStateNF4 = ".quant_state.bitsandbytes__nf4"
        static let quantStateFP4 = ".quant_state.bitsandbytes__fp4"
    }

    /// The quant state bitsandbytes stores for this weight; `dtype` is torch's name of the original weight's dtype.
    public func bitsAndBytesQuantState(dtype: String) -> BitsAndBytesQuantState {
        switch scales {
        case .float32:
            return BitsAndBytesQuantState(blocksize: Self.blockSize, dtype: dtype, shape: shape)
        case let .doubleQuantized(q):
            return BitsAndBytesQuantState(blocksize: Self.blockSize, dtype: dtype, shape: shape,
                                          nestedBlocksize: NF4QuantizedScales.blockSize, nestedDType: "float32",
                                          nestedOffset: Double(q.offset))
        }
    }

    /// The safetensors entries bitsandbytes writes for this weight under `name` (e.g.
    /// `model.layers.0.self_attn.q_proj.weight`); `dtype` is torch's name of the original weight's dtype.
    public func bitsAndBytesEntries(name: String, dtype: String) -> [SafetensorsWriter.Entry] {
        var entries: [SafetensorsWriter.Entry] = [
            .init(name: name, bytes: packed, shape: [packed.count, 1]),
            .init(name: name + BitsAndBytesKey.quantMap, tensor: Tensor(Self.codebook)),
        ]
        switch scales {
        case let .float32(absmax):
            entries.append(.init(name: name + BitsAndBytesKey.absmax, tensor: Tensor(absmax)))
        case let .doubleQuantized(q):
            entries.append(.init(name: name + BitsAndBytesKey.absmax, bytes: q.codes, shape: [q.codes.count]))
            entries.append(.init(name: name + BitsAndBytesKey.nestedAbsmax, tensor: Tensor(q.absmax)))
            entries.append(.init(name: name + BitsAndBytesKey.nestedQuantMap, tensor: Tensor(NF4QuantizedScales.code)))
        }
        let state = bitsAndBytesQuantState(dtype: dtype).pythonJSON
        entries.append(.init(name: name + BitsAndBytesKey.quantStateNF4, bytes: state, shape: [state.count]))
        return entries
    }

    /// Reads the weight `name` of shape `shape` stored in bitsandbytes' layout.
    /// - Throws: ``BitsAndBytesError/invalidQuantizedTensor(file:tensor:reason:)`` when a tensor is missing or has
    ///   the wrong dtype or size, or the quant state is not JSON of the expected form or names another shape;
    ///   ``BitsAndBytesError/unsupportedQuantization(file:reason:)`` for FP4, a block size other than 64 (256 for
    ///   the absmax), or a codebook / dynamic map other than bitsandbytes' defaults.
    static func readBitsAndBytes(name: String, shape: [Int], from store: WeightStore) throws -> NF4Weight {
        let file = store.path
        func invalid(_ tensor: String, _ reason: String) -> BitsAndBytesError {
            .invalidQuantizedTensor(file: file, tensor: tensor, reason: reason)
        }
        func tensor(_ suffix: String, _ dtype: SafetensorsDType, count: Int) throws -> SafetensorsTensorInfo {
            let key = name + suffix
            guard store.contains(key) else { throw invalid(key, "missing") }
            let info = try store.info(key)
            guard info.dtype == dtype else { throw invalid(key, "dtype \(info.dtype), expected \(dtype)") }
            guard info.elementCount == count else {
                throw invalid(key, "\(info.elementCount) elements (shape \(info.shape)), expected \(count)")
            }
            return info
        }
        func floats(_ suffix: String, count: Int) throws -> [Float] {
            _ = try tensor(suffix, .float32, count: count)
            return try store.tensor(name + suffix, as: Float.self).scalars
        }

        if store.contains(name + BitsAndBytesKey.quantStateFP4) {
            throw BitsAndBytesError.unsupportedQuantization(
                file: file, reason: "'\(name)' is FP4-quantized; SwiftTune loads NF4 only")
        }
        let stateKey = name + BitsAndBytesKey.quantStateNF4
        guard store.contains(stateKey) else { throw invalid(stateKey, "missing") }
        let stateInfo = try store.info(stateKey)
        guard stateInfo.dtype == .uint8 else { throw invalid(stateKey, "dtype \(stateInfo.dtype), expected U8") }
        let state: BitsAndBytesQuantState
        do {
            state = try JSONDecoder().decode(BitsAndBytesQuantState.self, from: Data(store.storedBytes(stateKey)))
        } catch {
            throw invalid(stateKey, "not a bitsandbytes quant state (\(ModelLoadingError.describe(error)))")
        }
        guard state.quantType == "nf4" else {
            throw BitsAndBytesError.unsupportedQuantization(
                file: file, reason: "'\(stateKey)': quant_type '\(state.quantType)'; SwiftTune loads nf4 only")
        }
        guard state.blocksize == blockSize else {
            throw BitsAndBytesError.unsupportedQuantization(
                file: file, reason: "'\(stateKey)': blocksize \(state.blocksize); SwiftTune's NF4 uses \(blockSize)")
        }
        guard state.shape == shape else {
            throw invalid(stateKey, "shape \(state.shape.map { "\($0)" } ?? "null"), expected \(shape)")
        }
        let count = shape.reduce(1, *)
        let blocks = (count + blockSize - 1) / blockSize
        _ = try tensor("", .uint8, count: (count + 1) / 2)
        let packed = try store.storedBytes(name)
        let quantMap = try floats(BitsAndBytesKey.quantMap, count: 16)
        guard quantMap.map(\.bitPattern) == codebook.map(\.bitPattern) else {
            throw BitsAndBytesError.unsupportedQuantization(
                file: file, reason: "'\(name + BitsAndBytesKey.quantMap)' is not bitsandbytes' NF4 codebook")
        }

        let scales: NF4Scales
        if let offset = state.nestedOffset {
            guard state.nestedBlocksize == NF4QuantizedScales.blockSize, state.nestedDType == "float32" else {
                throw BitsAndBytesError.unsupportedQuantization(
                    file: file, reason: "'\(stateKey)': nested blocksize \(state.nestedBlocksize.map(String.init) ?? "null") "
                        + "dtype \(state.nestedDType ?? "null"); SwiftTune uses 256, float32")
            }
            _ = try tensor(BitsAndBytesKey.absmax, .uint8, count: blocks)
            let codes = try store.storedBytes(name + BitsAndBytesKey.absmax)
            let blocks2 = (blocks + NF4QuantizedScales.blockSize - 1) / NF4QuantizedScales.blockSize
            let absmax2 = try floats(BitsAndBytesKey.nestedAbsmax, count: blocks2)
            let map = try floats(BitsAndBytesKey.nestedQuantMap, count: 256)
            guard map.map(\.bitPattern) == NF4QuantizedScales.code.map(\.bitPattern) else {
                throw BitsAndBytesError.unsupportedQuantization(
                    file: file, reason: "'\(name + BitsAndBytesKey.nestedQuantMap)' is not bitsandbytes' signed dynamic map")
            }
            scales = .doubleQuantized(try NF4QuantizedScales(codes: codes, absmax: absmax2, offset: Float(offset)))
        } else {
            scales = .float32(try floats(BitsAndBytesKey.absmax, count: blocks))
        }
        return try NF4Weight(shape: shape, packed: packed, scales: scales)
    }

    /// Reads the weight `name` of shape `shape` from one safetensors file in bitsandbytes' layout (see
    /// ``bitsAndBytesEntries(name:dtype:)`` for the tensors).
    /// - Throws: ``BitsAndBytesError`` naming the file and tensor when the tensors do not form an NF4 weight.
    public init(bitsAndBytesName name: String, shape: [Int], in file: SafetensorsFile) throws {
        self = try Self.readBitsAndBytes(name: name, shape: shape, from: .single(file))
    }
}
