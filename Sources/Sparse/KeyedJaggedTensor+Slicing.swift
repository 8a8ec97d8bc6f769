extension KeyedJaggedTensor {
    /// The KJT of the keys at `keyIndices` (a contiguous range), same stride.
    ///
    /// ```
    /// // keys ["f1","f2","f3"] -> selecting(keyIndices: 1..<3) has keys ["f2","f3"]
    /// ```
    public func selecting(keyIndices range: Range<Int>) -> KeyedJaggedTensor {
        precondition(range.lowerBound >= 0 && range.upperBound <= keys.count,
                     "key range \(range) out of 0..<\(keys.count)")
        let lo = offsetPerKey[range.lowerBound], hi = offsetPerKey[range.upperBound]
        return try! KeyedJaggedTensor(
            keys: Array(keys[range]), stride: stride,
            lengths: Array(lengths[(range.lowerBound * stride)..<(range.upperBound * stride)]),
            values: Array(values[lo..<hi]),
            weights: weights.map { Array($0[lo..<hi]) })
    }

    /// The KJT whose sample `j` is this KJT's sample `samples[j]` (every key).
    /// Samples may repeat; the result's stride is `samples.count`.
    ///
    /// ```
    /// // stride 3, f1: [[0,1],[2],[]]  -> gathering([2,0,0]) f1: [[],[0,1],[0,1]]
    /// ```
    public func gathering(samples: [Int32]) -> KeyedJaggedTensor {
        let n = samples.count
        var newLengths = [Int32](repeating: 0, count: keys.count * n)
        var total = 0
        for k in 0..<keys.count {
            for (j, s) in samples.enumerated() {
                precondition(s >= 0 && Int(s) < stride, "sample index \(s) out of 0..<\(stride)")
                let l = lengths[k * stride + Int(s)]
                newLengths[k * n + j] = l
                total += Int(l)
            }
        }
        var newValues = [Int64](); newValues.reserveCapacity(total)
        var newWeights: [Float]? = weights == nil ? nil : []
        newWeights?.reserveCapacity(total)
        for k in 0..<keys.count {
            for s in samples {
                let i = k * stride + Int(s)
                let r = offsets[i]..<offsets[i + 1]
                newValues.append(contentsOf: values[r])
                if let w = weights { newWeights!.append(contentsOf: w[r]) }
            }
        }
        return try! KeyedJaggedTensor(keys: keys, stride: n, lengths: newLengths,
                                      values: newValues, weights: newWeights)
    }

    /// Samples `range` of every key (a contiguous batch slice).
    public func slicing(samples range: Range<Int>) -> KeyedJaggedTensor {
        gathering(samples: range.map { Int32($0) })
    }

    /// `source.slicing(samples: range)` written into this tensor's storage
    /// (which must have `source`'s keys and no weights): once grown, no allocation.
    public mutating func refill(samples range: Range<Int>, of source: KeyedJaggedTensor) {
        precondition(keys == source.keys && source.weights == nil, "refill(samples:of:) needs the same keys, unweighted")
        precondition(range.lowerBound >= 0 && range.upperBound <= source.stride, "samples \(range) out of 0..<\(source.stride)")
        let S = source.stride, K = keys.count
        // Cannot fail: whole bags of a valid tensor, lengths and values in step.
        try! refill(stride: range.count) { lengths, values in
            for k in 0..<K { lengths.append(contentsOf: source.lengths[(k * S + range.lowerBound)..<(k * S + range.upperBound)]) }
            for k in 0..<K {
                values.append(contentsOf: source.values[source.offsets[k * S + range.lowerBound]..<source.offsets[k * S + range.upperBound]])
            }
        }
    }

    /// Stacks KJTs with the same keys along the batch: strides add up.
    public static func concatenating(samplesOf parts: [KeyedJaggedTensor]) throws -> KeyedJaggedTensor {
        guard let first = parts.first else { return .empty(stride: 0) }
        for p in parts where p.keys != first.keys {
            throw KJTError.invalid("cannot concatenate keys \(p.keys) with \(first.keys)")
        }
        let weighted = first.weights != nil
        for p in parts where (p.weights != nil) != weighted {
            throw KJTError.invalid("cannot concatenate weighted and unweighted KJTs")
        }
        let stride = parts.reduce(0) { $0 + $1.stride }
        var lengths: [Int32] = []; lengths.reserveCapacity(first.keys.count * stride)
        var values: [Int64] = []
        var weights: [Float]? = weighted ? [] : nil
        for k in 0..<first.keys.count {
            for p in parts {
                lengths.append(contentsOf: p.lengths[(k * p.stride)..<((k + 1) * p.stride)])
                let r = p.offsetPerKey[k]..<p.offsetPerKey[k + 1]
                values.append(contentsOf: p.values[r])
                if weighted { weights!.append(contentsOf: p.weights![r]) }
            }
        }
        return try KeyedJaggedTensor(keys: first.keys, stride: stride, lengths: lengths,
                                     values: values, weights: weights)
    }
}
