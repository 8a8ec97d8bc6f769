import Federated
import Model
import Tensors

/// HeteroFL's narrower model for a device tier: the top MLP's hidden layers
/// keep the first ceil(ratio x width) units (HeteroFL takes the leading
/// channels of every layer it shrinks), everything else as the full model.
/// `index[j]` is where the sub-model's flat parameter j lives in the full
/// flat vector, so a device's model is a gather of the global one and its
/// update a scatter back; `coverage` is the same set as (start, count) runs,
/// for the server's masked aggregation.
public struct SubModel: Sendable {
    public let spec: ModelSpec
    public let index: [Int]
    public let coverage: [Int]

    /// The top MLP's widths at `ratio` (the logit layer stays 1 wide).
    public static func spec(_ full: ModelSpec, ratio: Double) -> ModelSpec {
        var s = full
        s.top = full.top.enumerated().map { l, w in
            l == full.top.count - 1 ? w : max(1, Int((ratio * Double(w)).rounded(.up)))
        }
        return s
    }

    /// `fullDense` / `subDense`: the two models' dense layouts (DLRMDense's),
    /// the tables after them of the same size in both.
    public init(full: ModelSpec, ratio: Double, fullDense: ParameterLayout, subDense: ParameterLayout, tables: Int) {
        spec = Self.spec(full, ratio: ratio)
        var index: [Int] = []
        index.reserveCapacity(subDense.count + tables)
        for e in subDense.entries {
            guard let f = fullDense.entry(named: e.name), f.shape.count == e.shape.count,
                  zip(e.shape, f.shape).allSatisfy({ $0 <= $1 }) else {
                preconditionFailure("sub-model parameter \(e.name) \(e.shape) is not a leading block of the full model's")
            }
            // Row-major multi-index (a0, a1, ...) in the sub entry -> the same multi-index in the full one.
            var at = [Int](repeating: 0, count: e.shape.count)
            for _ in 0..<e.count {
                var off = 0
                for d in at.indices { off = off * f.shape[d] + at[d] }
                index.append(f.offset + off)
                var d = at.count - 1
                while d >= 0 { at[d] += 1; if at[d] < e.shape[d] { break }; at[d] = 0; d -= 1 }
            }
        }
        for j in 0..<tables { index.append(fullDense.count + j) }
        self.index = index
        var runs: [Int] = []
        for i in index {
            if let n = runs.last, runs[runs.count - 2] + n == i { runs[runs.count - 1] += 1 } else { runs += [i, 1] }
        }
        coverage = runs
    }

    /// The sub-model's flat vector from the full one.
    public func gather(_ full: UnsafePointer<Float>, into sub: UnsafeMutablePointer<Float>) {
        for (j, i) in index.enumerated() { sub[j] = full[i] }
    }

    /// The full vector's (start, count) runs of a packed sub-model update
    /// whose values follow `subSegments` ((start, count) in the sub vector):
    /// the values stay where they are, in the same order.
    public func fullSegments(_ subSegments: [Int]) -> [Int] {
        var runs: [Int] = []
        for s in stride(from: 0, to: subSegments.count, by: 2) {
            for j in subSegments[s]..<(subSegments[s] + subSegments[s + 1]) {
                let i = index[j]
                if let n = runs.last, runs[runs.count - 2] + n == i { runs[runs.count - 1] += 1 } else { runs += [i, 1] }
            }
        }
        return runs
    }
}
