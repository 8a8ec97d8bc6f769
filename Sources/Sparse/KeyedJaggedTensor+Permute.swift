extension KeyedJaggedTensor {
    /// Reorders (or selects a subset of) keys by name.
    ///
    /// ```
    /// // keys ["f1","f2"], f1: [[0,1],[2],[]], f2: [[3],[4,5],[6]]
    /// try kjt.permute(keys: ["f2","f1"])
    /// //   keys ["f2","f1"], values [3,4,5,6,0,1,2], lengths [1,2,1,2,1,0]
    /// ```
    /// - Throws: `KJTError.invalid` if a key is unknown.
    public func permute(keys newKeys: [String]) throws -> KeyedJaggedTensor {
        let indices = try newKeys.map { key -> Int in
            guard let k = index(ofKey: key) else {
                throw KJTError.invalid("permute: unknown key \(key), have \(keys)")
            }
            return k
        }
        return try permute(keyIndices: indices)
    }

    /// Reorders keys by index: key `j` of the result is key `indices[j]` of `self`.
    public func permute(keyIndices indices: [Int]) throws -> KeyedJaggedTensor {
        var newLengths: [Int32] = []; newLengths.reserveCapacity(indices.count * stride)
        var newValues: [Int64] = []
        var newWeights: [Float]? = weights == nil ? nil : []
        for k in indices {
            guard k >= 0 && k < keys.count else {
                throw KJTError.invalid("permute: key index \(k) out of 0..<\(keys.count)")
            }
            newLengths.append(contentsOf: lengths[(k * stride)..<((k + 1) * stride)])
            let r = offsetPerKey[k]..<offsetPerKey[k + 1]
            newValues.append(contentsOf: values[r])
            if let w = weights { newWeights!.append(contentsOf: w[r]) }
        }
        return try KeyedJaggedTensor(keys: indices.map { keys[$0] }, stride: stride,
                                     lengths: newLengths, values: newValues, weights: newWeights)
    }
}
