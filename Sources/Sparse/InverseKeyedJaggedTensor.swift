/// A KJT over a group of keys that share their sample-to-row mapping (for
/// instance the user-side features of a session), stored once per distinct row.
///
/// `unique` is a KJT over U unique rows (its stride is U); `inverse[b]` names the
/// unique row of sample b, `0 <= inverse[b] < U`, for B samples. Lookups, the
/// all-to-all and the sequence encoder work on the U rows; results are expanded to
/// the batch through `inverse` (RecD, arXiv 2211.05239).
///
/// Worked example: keys `["user", "history"]`, B = 4 samples, U = 2 unique rows
/// (samples 0, 1, 3 belong to one session of user 7; sample 2 to user 9).
///
/// ```
///   expanded (stride B = 4)
///              sample 0    sample 1    sample 2    sample 3
///   "user"     [7]         [7]         [9]         [7]
///   "history"  [3, 5]      [3, 5]      []          [3, 5]
///
///   unique (stride U = 2)
///              row 0       row 1
///   "user"     [7]         [9]
///   "history"  [3, 5]      []
///   unique.values:  [7, 9, 3, 5]
///   unique.lengths: [1, 1, 2, 0]
///   inverse:        [0, 0, 1, 0]
///   duplicationFactor: 4 / 2 = 2.0
/// ```
public struct InverseKeyedJaggedTensor: Sendable, Equatable {
    /// The distinct rows: a KJT of stride U.
    public private(set) var unique: KeyedJaggedTensor
    /// For each of the B samples, its row in `unique`.
    public private(set) var inverse: [Int32]

    /// - Throws: `KJTError.invalid` if an inverse index is outside `0..<unique.stride`.
    public init(unique: KeyedJaggedTensor, inverse: [Int32]) throws {
        let u = unique.stride
        for (b, i) in inverse.enumerated() where i < 0 || Int(i) >= u {
            throw KJTError.invalid("inverse[\(b)] = \(i) outside 0..<\(u)")
        }
        self.unique = unique
        self.inverse = inverse
    }

    /// Rebuilds in place (storage kept, see `KeyedJaggedTensor.refill`):
    /// `fill` writes the U unique rows' lengths and ids and the B inverse indices.
    public mutating func refill(uniqueCount u: Int, _ fill: (inout [Int32], inout [Int64], inout [Int32]) -> Void) throws {
        inverse.removeAll(keepingCapacity: true)
        try unique.refill(stride: u) { lengths, values in fill(&lengths, &values, &inverse) }
        for (b, i) in inverse.enumerated() where i < 0 || Int(i) >= u {
            throw KJTError.invalid("inverse[\(b)] = \(i) outside 0..<\(u)")
        }
    }

    /// Keys of the group.
    public var keys: [String] { unique.keys }
    /// Number of samples B.
    public var batchSize: Int { inverse.count }
    /// Number of unique rows U.
    public var uniqueCount: Int { unique.stride }
    /// B / U (1 when nothing repeats; 1 for an empty batch).
    public var duplicationFactor: Double {
        uniqueCount == 0 ? 1 : Double(batchSize) / Double(uniqueCount)
    }

    /// The per-sample KJT (stride B): sample b is unique row `inverse[b]`.
    public func expanded() -> KeyedJaggedTensor { unique.gathering(samples: inverse) }

    /// The dedup-off form: U = B, `inverse = 0..<B`.
    public static func identity(_ kjt: KeyedJaggedTensor) -> InverseKeyedJaggedTensor {
        try! InverseKeyedJaggedTensor(unique: kjt, inverse: (0..<kjt.stride).map { Int32($0) })
    }

    /// Deduplicates whole rows: samples whose bags are equal for EVERY key (ids and
    /// weights) share one unique row. Unique rows keep the order of first appearance.
    ///
    /// ```
    /// // "user": [[7],[7],[9],[7]], "history": [[3,5],[3,5],[],[3,5]]
    /// // -> unique "user": [[7],[9]], "history": [[3,5],[]], inverse [0,0,1,0]
    /// ```
    public static func deduplicating(_ kjt: KeyedJaggedTensor) -> InverseKeyedJaggedTensor {
        var rowOf: [RowKey: Int32] = [:]
        var firsts: [Int32] = []
        var inverse = [Int32](repeating: 0, count: kjt.stride)
        for b in 0..<kjt.stride {
            let key = RowKey(kjt, sample: b)
            if let r = rowOf[key] {
                inverse[b] = r
            } else {
                let r = Int32(firsts.count)
                rowOf[key] = r
                firsts.append(Int32(b))
                inverse[b] = r
            }
        }
        return try! InverseKeyedJaggedTensor(unique: kjt.gathering(samples: firsts), inverse: inverse)
    }
}

/// One sample's bags over all keys, as a hashable value (lengths, ids, weight bits).
private struct RowKey: Hashable {
    var words: [Int64]
    init(_ kjt: KeyedJaggedTensor, sample b: Int) {
        words = []
        for k in 0..<kjt.keys.count {
            let i = k * kjt.stride + b
            let r = kjt.offsets[i]..<kjt.offsets[i + 1]
            words.append(Int64(r.count))
            words.append(contentsOf: kjt.values[r])
            if let w = kjt.weights { words.append(contentsOf: w[r].map { Int64($0.bitPattern) }) }
        }
    }
}
