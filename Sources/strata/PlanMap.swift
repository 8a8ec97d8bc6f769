import Foundation

/// One point of FlexShard's map (`strata plan-map`): FlexShard against the
/// best baseline of a `strata plan --json` run, each metric against the
/// baseline best at it (table_wise, row_wise, table_row_wise).
struct PlanMapPoint {
    var axis: String
    /// The value along the axis as written in the file name (e.g. "1.1", "ml").
    var label: String
    var x: Double?
    var dedup: Bool
    var bestAllToAll: (strategy: String, bytes: Double)
    var flexAllToAll: Double
    var bestInterNode: Double, flexInterNode: Double
    var bestSeconds: Double, flexSeconds: Double
    var floorInterNode: Double?, floorSeconds: Double?
    /// FlexShard's and row_wise's largest per-rank embedding memory.
    var flexMemory: Int, rowWiseMemory: Int

    var allToAllLess: Double { 1 - flexAllToAll / bestAllToAll.bytes }
    var interNodeLess: Double { bestInterNode > 0 ? 1 - flexInterNode / bestInterNode : .nan }
    var timeLower: Double { bestSeconds / flexSeconds }
    var floorInterNodeLess: Double? { floorInterNode.map { 1 - $0 / bestInterNode } }
    var floorTimeLower: Double? { floorSeconds.map { bestSeconds / $0 } }

    static let baselines = ["table_wise", "row_wise", "table_row_wise"]

    /// `rows`: the point's plan; `fallback`: a plan of the same world without
    /// a memory budget, whose baselines stand in for those the budget refused.
    /// Bold in `markdown`: 85 % less all-to-all within row_wise's memory.
    init?(axis: String, label: String, dedup: Bool, rows: [PlanCommand.Row], fallback: [PlanCommand.Row]) {
        guard let flex = rows.first(where: { $0.strategy == "flexshard" }) else { return nil }
        var base = rows.filter { Self.baselines.contains($0.strategy) }
        if base.count < Self.baselines.count { base = fallback.filter { Self.baselines.contains($0.strategy) } }
        guard let a2a = base.min(by: { $0.allToAllBytesPerStep < $1.allToAllBytesPerStep }),
              let inter = base.map(\.embeddingInterNodeBytesPerStep).min(), let seconds = base.map(\.modelledSecondsPerStep).min(),
              let rowWise = (rows + fallback).first(where: { $0.strategy == "row_wise" }) else { return nil }
        self.axis = axis; self.label = label; x = Double(label); self.dedup = dedup
        bestAllToAll = (a2a.strategy, a2a.allToAllBytesPerStep)
        flexAllToAll = flex.allToAllBytesPerStep
        bestInterNode = inter; flexInterNode = flex.embeddingInterNodeBytesPerStep
        bestSeconds = seconds; flexSeconds = flex.modelledSecondsPerStep
        floorInterNode = flex.floor?.interNodeBytesPerStep; floorSeconds = flex.floor?.secondsPerStep
        flexMemory = flex.maxMemoryBytesPerRank; rowWiseMemory = rowWise.maxMemoryBytesPerRank
    }

    /// A markdown table row.
    var markdown: String {
        func pct(_ v: Double) -> String { String(format: "%.1f %%", 100 * v) }
        // The floor counts every read (no id dedup), so it bounds the plans without dedup only.
        let floorBytes = dedup ? "" : floorInterNodeLess.map { " (floor \(pct($0)))" } ?? ""
        let floorTime = dedup ? "" : floorTimeLower.map { String(format: " (floor %.2fx)", $0) } ?? ""
        let a2a = pct(allToAllLess)
        let inter = bestInterNode > 0 ? pct(interNodeLess) + floorBytes : "(one node)"
        return "| \(label) | \(dedup ? "on" : "off") | "
            + String(format: "%.1f (%@) | %.1f | ", bestAllToAll.bytes / 1e6, bestAllToAll.strategy, flexAllToAll / 1e6)
            + (allToAllLess >= 0.85 && flexMemory <= rowWiseMemory ? "**\(a2a)**" : a2a) + " | \(inter) | "
            + String(format: "%.2fx", timeLower) + "\(floorTime) | " + String(format: "%.2f", Double(flexMemory) / Double(rowWiseMemory)) + " |"
    }

    static let header = """
        | value | dedup_ids | best baseline a2a MB/step | flexshard a2a MB/step | a2a less | inter-node less | modelled time lower | memory / row_wise's |
        | --- | --- | --- | --- | --- | --- | --- | --- |
        """
}
