import Tensors

/// How a bag of embedding rows becomes one vector.
public enum PoolingMode: String, Sendable, Equatable, Codable, CaseIterable {
    case sum
    case mean
}

/// Embedding lookups over raw pointers. The sharding layer owns table storage and
/// maps ids to local rows; these functions only read rows and write outputs.
///
/// A jagged batch of bags is `rowIndices [N]` plus `offsets [bags + 1]`; bag `g`
/// holds `rowIndices[offsets[g] ..< offsets[g+1]]`. Example with D = 2:
///
///     table      = [[1,1], [2,2], [3,3]]
///     rowIndices = [0, 2, 2]     offsets = [0, 2, 2, 3]   (bag 1 is empty)
///     sum        = [[4,4], [0,0], [3,3]]
///     mean       = [[2,2], [0,0], [3,3]]
public enum EmbeddingBag {
    /// out [bags x D] = pooled rows; an empty bag gives zeros.
    public static func poolForward(table: UnsafePointer<Float>,     // [R x D]
                                   dim D: Int,
                                   rowIndices: UnsafePointer<Int32>, // [N]
                                   offsets: UnsafePointer<Int32>,    // [bags + 1]
                                   bags: Int, mode: PoolingMode,
                                   out: UnsafeMutablePointer<Float>) { // [bags x D]
        let N = Int(offsets[bags])
        for g in 0..<bags {
            let o = out + g * D
            o.update(repeating: 0, count: D)
            let lo = Int(offsets[g]), hi = Int(offsets[g + 1])
            for n in lo..<hi {
                // The row a fixed distance ahead, so its miss overlaps this work (see Prefetch).
                if n + Prefetch.distance < N { Prefetch.read(table + Int(rowIndices[n + Prefetch.distance]) * D, bytes: D * 4) }
                let row = table + Int(rowIndices[n]) * D
                for d in 0..<D { o[d] += row[d] }
            }
            if mode == .mean, hi > lo {
                let inv = 1 / Float(hi - lo)
                for d in 0..<D { o[d] *= inv }
            }
        }
    }

    /// gradRows [N x D]: the gradient of each id occurrence's row (unpooled, one
    /// row per id, in id order), to be sent back to the owner and aggregated there.
    public static func poolBackward(dOut: UnsafePointer<Float>,     // [bags x D]
                                    dim D: Int,
                                    offsets: UnsafePointer<Int32>,  // [bags + 1]
                                    bags: Int, mode: PoolingMode,
                                    gradRows: UnsafeMutablePointer<Float>) { // [N x D]
        for g in 0..<bags {
            let lo = Int(offsets[g]), hi = Int(offsets[g + 1])
            guard hi > lo else { continue }
            let scale: Float = mode == .mean ? 1 / Float(hi - lo) : 1
            let src = dOut + g * D
            for n in lo..<hi {
                let dst = gradRows + n * D
                for d in 0..<D { dst[d] = scale * src[d] }
            }
        }
    }

    /// out [count x D] = table[rowIndices[n]] for each n: unpooled (sequence) lookups.
    public static func gatherRows(table: UnsafePointer<Float>, dim D: Int,
                                  rowIndices: UnsafePointer<Int32>, count: Int,
                                  out: UnsafeMutablePointer<Float>) {
        for n in 0..<count {
            Rows.copy(out + n * D, table + Int(rowIndices[n]) * D, count: D)
        }
    }

    /// The naive reference for `poolForward`: Double accumulation, gather then reduce.
    public static func poolForwardReference(table: UnsafePointer<Float>, dim D: Int,
                                            rowIndices: UnsafePointer<Int32>, offsets: UnsafePointer<Int32>,
                                            bags: Int, mode: PoolingMode, out: UnsafeMutablePointer<Float>) {
        for g in 0..<bags {
            let lo = Int(offsets[g]), hi = Int(offsets[g + 1])
            for d in 0..<D {
                var s = 0.0
                for n in lo..<hi { s += Double(table[Int(rowIndices[n]) * D + d]) }
                if mode == .mean, hi > lo { s /= Double(hi - lo) }
                out[g * D + d] = Float(s)
            }
        }
    }
}
