import Cluster
import Sharding

/// The lookup groups a plan implies, for the world lane and the node lane.
/// The collection and the traffic predictor both build them here, so the
/// prediction follows the very same routing. Each table's `RowPlacement`
/// says which lane a part's rows travel on: a part on every rank is looked
/// up locally, a part spread per node on the node lane, any other on the world.
package struct LookupGroups {
    package var world: [LookupGroup] = []
    var node: [LookupGroup] = []
    /// Local lookups: a feature and the part of its table every rank holds.
    var local: [(feature: Int, table: Int, part: Int)] = []
    /// Each table's placement, in table order.
    package let placements: [RowPlacement]

    package init(plan: ShardingPlan, tables: [TableConfig], features: [EmbeddingFeature], worldSize R: Int, nodeSize L: Int) {
        let placements = tables.map { RowPlacement(plan.sharding(of: $0.name)!, table: $0, worldSize: R, nodeSize: L) }
        self.placements = placements
        for (k, f) in features.enumerated() {
            let t = f.table, placement = placements[t]
            for (p, part) in placement.parts.enumerated() {
                // A part without rows needs no lookup (a FlexShard tier left empty).
                guard part.rows > 0 else { continue }
                let rows = placement.locator(part: p)
                func group(_ destinations: [Int]) -> LookupGroup {
                    LookupGroup(feature: k, table: t, part: p, columnStart: part.columnStart, width: part.width, destinations: destinations,
                                rows: rows, isSequence: f.isSequence)
                }
                switch part.spread {
                case .everyRank: local.append((k, t, p))
                case .perNode: node.append(group(Array(0..<L)))
                case .roundRobin: world.append(group(Array(0..<R)))
                case .blocks(let ranks, _): world.append(group(ranks))
                }
            }
        }
    }
}
