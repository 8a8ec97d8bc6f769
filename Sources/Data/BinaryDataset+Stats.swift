/// Storage of a binary data file against the flat layout of the same samples.
///
/// ```
/// // a session file: N = 1000 samples, U = 125 unique user rows
/// //   bytesPerSample      file bytes / N
/// //   flatBytesPerSample  the same samples with one user row each, / N
/// //   duplicationFactor   N / U = 8
/// ```
public struct BinaryStorageStats: Sendable, Equatable {
    public var samples: Int
    public var uniqueUserRows: Int
    public var fileBytes: Int
    /// The file as the flat layout would store it (same header size assumed).
    public var flatFileBytes: Int
    public var bytesPerSample: Double { Double(fileBytes) / Double(max(samples, 1)) }
    public var flatBytesPerSample: Double { Double(flatFileBytes) / Double(max(samples, 1)) }
    /// Flat bytes over file bytes (1 for a flat file).
    public var storageRatio: Double { Double(flatFileBytes) / Double(max(fileBytes, 1)) }
    public var duplicationFactor: Double { Double(samples) / Double(max(uniqueUserRows, 1)) }
}

extension BinaryDataset {
    /// `fileBytes`: the file's size on disk.
    public func storageStats(fileBytes: Int) -> BinaryStorageStats {
        let h = header, n = h.sampleCount
        let ku = h.schema.userSideFeatures.count
        // Values per unique row, summed over keys, then counted once per sample.
        let unique = all.userSide.unique
        var rowValues = [Int](repeating: 0, count: unique.stride)
        for k in 0..<ku { for u in 0..<unique.stride { rowValues[u] += Int(unique.lengths[k * unique.stride + u]) } }
        let flatUserValues = all.userSide.inverse.reduce(0) { $0 + rowValues[Int($1)] }
        var flat = h
        flat.layout = .flat
        flat.uniqueCount = n
        flat.userValueCount = flatUserValues
        let flatBytes = fileBytes - h.payloadBytes + flat.expectedPayloadBytes
        return BinaryStorageStats(samples: n, uniqueUserRows: h.uniqueCount, fileBytes: fileBytes, flatFileBytes: flatBytes)
    }
}
