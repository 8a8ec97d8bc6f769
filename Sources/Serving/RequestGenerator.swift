import Tensors
import ScalingLaws
import Training

/// Request bodies for a model: seeded uniform ids in every table, `lookups`
/// ids per candidate bag, `historyLength` history ids, dense values in
/// [0, 1). What the load generator and the profile send.
public struct RequestGenerator: Sendable {
    public let layout: FeatureLayout
    public let denseCount: Int
    public let lookups: Int
    public let historyLength: Int

    /// Needs only the model's layout, not its weights (the load generator's side).
    public init(layout: FeatureLayout, denseCount: Int, maxHistory: Int, lookups: Int, historyLength: Int) {
        self.layout = layout
        self.denseCount = denseCount
        self.lookups = max(1, lookups)
        self.historyLength = min(historyLength, maxHistory)
    }

    public init(served: ServedModel, lookups: Int, historyLength: Int) {
        self.init(layout: served.layout, denseCount: served.denseCount, maxHistory: served.maxHistory, lookups: lookups,
                  historyLength: historyLength)
    }

    /// A workload's requests.
    public init(workload w: Workload) throws {
        self.init(layout: try FeatureLayout(schema: w.schema, model: w.model), denseCount: w.schema.denseCount,
                  maxHistory: w.maxHistory, lookups: w.lookups, historyLength: w.historyLength)
    }

    /// The JSON body of a request with `candidates` candidates, request `index` under `seed`.
    public func body(candidates n: Int, seed: UInt64, index: UInt64) -> [UInt8] {
        var rng = StrataRNG(seed: seed &* 0x9E37_79B9_7F4A_7C15 ^ index)
        var s = "{\"dense\":["
        for i in 0..<denseCount { s += (i > 0 ? "," : "") + String(Float(rng.nextUnit())) }
        s += "],\"user\":{"
        var first = true
        for (k, f) in layout.features.enumerated() where layout.userSide[k] {
            let rows = layout.tables[f.table].rows
            let count = f.isSequence ? historyLength : 1
            s += (first ? "" : ",") + "\"\(f.name)\":["
            for i in 0..<count { s += (i > 0 ? "," : "") + String(rng.nextIndex(below: rows)) }
            s += "]"
            first = false
        }
        s += "},\"candidates\":{"
        first = true
        for (k, f) in layout.features.enumerated() where !layout.userSide[k] {
            let rows = layout.tables[f.table].rows
            s += (first ? "" : ",") + "\"\(f.name)\":"
            first = false
            if lookups == 1 {
                s += "["
                for c in 0..<n { s += (c > 0 ? "," : "") + String(rng.nextIndex(below: rows)) }
                s += "]"
            } else {
                s += "{\"lengths\":[" + Array(repeating: String(lookups), count: n).joined(separator: ",") + "],\"values\":["
                for i in 0..<(n * lookups) { s += (i > 0 ? "," : "") + String(rng.nextIndex(below: rows)) }
                s += "]}"
            }
        }
        s += "}}"
        return Array(s.utf8)
    }
}

