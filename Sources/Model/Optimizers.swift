#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Tensors

/// The dense parameters' optimizer (`optimizer.dense`).
public enum DenseOptimizerKind: String, Sendable, Codable, CaseIterable {
    case sgd
    case adagrad
}

/// Plain SGD over a flat range: `w -= lr * g`. One loop over the whole dense
/// parameter buffer, because every dense layer lives in it.
public enum SGD {
    public static func step(params: UnsafeMutablePointer<Float>, grads: UnsafePointer<Float>,
                            count: Int, learningRate lr: Float) {
        for i in 0..<count { params[i] -= lr * grads[i] }
    }
}

/// Adagrad over a flat range (PyTorch's form, initial accumulator 0):
/// `s += g^2; w -= lr * g / (sqrt(s) + eps)`. `state` has the parameters' layout.
public enum Adagrad {
    public static func step(params: UnsafeMutablePointer<Float>, grads: UnsafePointer<Float>,
                            state: UnsafeMutablePointer<Float>, count: Int,
                            learningRate lr: Float, eps: Float = 1e-10) {
        for i in 0..<count {
            let g = grads[i]
            state[i] += g * g
            params[i] -= lr * g / (state[i].squareRoot() + eps)
        }
    }
}

/// Row-wise Adagrad for embedding tables (FBGEMM's `exact_rowwise_adagrad`): one
/// Float accumulator per row instead of per element, so optimizer state costs
/// 1/D of the table. For each touched row r with gradient g_r [D]:
/// `acc_r += mean_j(g_rj^2); w_rj -= lr * g_rj / (sqrt(acc_r) + eps)`.
///
/// Each row may appear at most once in `rows`: aggregate duplicates first
/// (`RowAggregator`), otherwise the accumulator would be bumped twice.
public enum RowWiseAdagrad {
    public static func step(table: UnsafeMutablePointer<Float>,        // [R x D]
                            accumulators: UnsafeMutablePointer<Float>, // [R]
                            dim D: Int,
                            rows: UnsafePointer<Int32>,                // [n] local rows, unique
                            gradRows: UnsafePointer<Float>,            // [n x D]
                            count n: Int, learningRate lr: Float, eps: Float = 1e-10) {
        for k in 0..<n {
            if k + Prefetch.distance < n {
                let ahead = Int(rows[k + Prefetch.distance])
                Prefetch.write(table + ahead * D, bytes: D * 4)
                Prefetch.write(accumulators + ahead)
            }
            let r = Int(rows[k]), g = gradRows + k * D, w = table + r * D
            var sq: Float = 0
            for d in 0..<D { sq += g[d] * g[d] }
            accumulators[r] += sq / Float(D)
            let step = lr / (accumulators[r].squareRoot() + eps)
            for d in 0..<D { w[d] -= step * g[d] }
        }
    }
}

/// SGD on touched embedding rows: `table[rows[k]] -= lr * gradRows[k]`.
/// Duplicates are harmless here (the update is linear), but aggregated rows are
/// what the owner receives after `RowAggregator` anyway.
public enum EmbeddingSGD {
    public static func step(table: UnsafeMutablePointer<Float>, dim D: Int,
                            rows: UnsafePointer<Int32>, gradRows: UnsafePointer<Float>,
                            count n: Int, learningRate lr: Float) {
        for k in 0..<n {
            if k + Prefetch.distance < n { Prefetch.write(table + Int(rows[k + Prefetch.distance]) * D, bytes: D * 4) }
            update(table + Int(rows[k]) * D, gradRows + k * D, dim: D, learningRate: lr)
        }
    }

    /// One row: `w -= lr * g`. `SGD.step` is the same loop, but it compiles
    /// to a merged function shared with a sibling, which called per row costs
    /// about 0.1 ms a step at the Kaggle shape; this copy inlines.
    @inline(__always)
    public static func update(_ w: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, dim D: Int, learningRate lr: Float) {
        for d in 0..<D { w[d] -= lr * g[d] }
    }
}

/// Sums the gradient rows of duplicate ids into one row per distinct id, without
/// sorting: a preallocated map from local row to output slot (-1 = unseen), reset
/// after each call by walking only the touched rows, so a call costs O(n * D).
///
///     rows  = [5, 2, 5]   grads = [g0, g1, g2]
///     ->  uniqueRows = [5, 2]   uniqueGrads = [g0 + g2, g1]   (first-seen order)
public final class RowAggregator {
    public let tableRows: Int
    public let maxIds: Int
    public let dim: Int
    private let slot: UnsafeMutablePointer<Int32>         // [tableRows]
    private let rowsOut: UnsafeMutablePointer<Int32>      // [maxIds]
    private let gradsOut: UnsafeMutablePointer<Float>     // [maxIds x D]

    public init(tableRows: Int, maxIds: Int, dim: Int) {
        self.tableRows = tableRows
        self.maxIds = maxIds
        self.dim = dim
        slot = .allocate(capacity: max(tableRows, 1))
        slot.initialize(repeating: -1, count: max(tableRows, 1))
        rowsOut = .allocate(capacity: max(maxIds, 1))
        rowsOut.initialize(repeating: 0, count: max(maxIds, 1))
        gradsOut = .allocate(capacity: max(maxIds * dim, 1))
        gradsOut.initialize(repeating: 0, count: max(maxIds * dim, 1))
    }

    deinit {
        slot.deallocate()
        rowsOut.deallocate()
        gradsOut.deallocate()
    }

    public var uniqueRows: UnsafePointer<Int32> { UnsafePointer(rowsOut) }
    public var uniqueGrads: UnsafePointer<Float> { UnsafePointer(gradsOut) }

    /// Returns the number of distinct rows; results are in `uniqueRows`/`uniqueGrads`.
    public func aggregate(rows: UnsafePointer<Int32>, gradRows: UnsafePointer<Float>, count n: Int) -> Int {
        precondition(n <= maxIds, "\(n) ids > maxIds \(maxIds)")
        let D = dim
        var u = 0
        for k in 0..<n {
            // The map is as big as the table: its reads miss like the rows'.
            if k + Prefetch.distance < n { Prefetch.write(slot + Int(rows[k + Prefetch.distance])) }
            let r = Int(rows[k])
            var s = Int(slot[r])
            if s < 0 {
                s = u
                slot[r] = Int32(u)
                rowsOut[u] = Int32(r)
                Rows.copy(gradsOut + u * D, gradRows + k * D, count: D)
                u += 1
            } else {
                Rows.add(gradsOut + s * D, gradRows + k * D, count: D)
            }
        }
        for k in 0..<u { slot[Int(rowsOut[k])] = -1 }
        return u
    }
}
