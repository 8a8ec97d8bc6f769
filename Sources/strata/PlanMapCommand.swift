import ArgumentParser
import CLISupport
import Collectives
import Foundation
import RunKit

/// `strata plan-map`: FlexShard's map from a folder of `strata plan --json`
/// runs (Benchmarks/flexshard-map.sh makes them), as markdown tables (one an
/// axis) and SVG plots (per axis: bytes less than the best baseline, and the
/// modelled time's ratio, with and without id dedup, the floor beside).
struct PlanMapCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan-map",
        abstract: "Tables and SVG plots of FlexShard against the best baseline from a folder of strata plan --json runs.",
        discussion: """
        Files are named AXIS_VALUE_dD.json (D 0 or 1: sharding.dedup_ids), from \
        `strata plan --json`; base_dD.json is the point every axis varies from. Where a \
        memory budget refused the baselines, those of the axis's point 1 (AXIS_1_dD.json, \
        no budget set), else of the base, stand in. Prints one markdown \
        table an axis; writes AXIS-bytes.svg and AXIS-time.svg to --svg-dir.
        """
    )

    @Option(help: "Folder of the plans' JSON files.")
    var dir: String

    @Option(name: .customLong("svg-dir"), help: "Folder for the SVG plots (none when not given).")
    var svgDir: String?

    func run() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".json") }.sorted()
        let decoder = StrataJSON.decoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase   // as `--json` writes it
        func rows(_ name: String) throws -> [PlanCommand.Row] {
            try decoder.decode([PlanCommand.Row].self, from: Data(contentsOf: URL(fileURLWithPath: "\(dir)/\(name)")))
        }
        var points: [PlanMapPoint] = [], refused: [String] = []
        for f in files where !f.hasPrefix("base_") {
            let parts = f.dropLast(5).split(separator: "_").map(String.init)
            guard parts.count == 3, let d = parts[2].last.flatMap({ Int(String($0)) }) else {
                throw inputFailure("\(f): expected AXIS_VALUE_dD.json")
            }
            // The axis's unbudgeted point (value 1), else the base point.
            let own = "\(parts[0])_1_d\(d).json", base = "base_d\(d).json"
            let fallback = files.contains(own) ? try rows(own) : files.contains(base) ? try rows(base) : []
            let planned = try rows(f)
            guard planned.contains(where: { $0.strategy == "flexshard" }) else {
                // A budget below what any tiering holds: strata plan refused FlexShard.
                refused.append("\(parts[0]) \(parts[1]), dedup_ids \(d == 1 ? "on" : "off"): no FlexShard plan fits")
                continue
            }
            guard let p = PlanMapPoint(axis: parts[0], label: parts[1], dedup: d == 1, rows: planned, fallback: fallback) else {
                throw inputFailure("\(f): no baselines")
            }
            points.append(p)
        }
        for r in refused { print("refused: \(r)") }
        for axis in Array(Set(points.map(\.axis))).sorted() {
            let mine = points.filter { $0.axis == axis }.sorted { ($0.x ?? .infinity, $0.label, $0.dedup ? 1 : 0) < ($1.x ?? .infinity, $1.label, $1.dedup ? 1 : 0) }
            print("\n\(axis):\n\n\(PlanMapPoint.header)")
            for p in mine { print(p.markdown) }
            if let svgDir { try plots(axis, mine, to: svgDir) }
        }
    }

    func plots(_ axis: String, _ points: [PlanMapPoint], to folder: String) throws {
        func series(_ name: String, dedup: Bool, dashed: Bool = false, _ y: (PlanMapPoint) -> Double?) -> Plot.Series {
            .init(name: name, points: points.filter { $0.dedup == dedup }.compactMap { p in p.x.flatMap { x in y(p).map { (x, $0) } } },
                  dashed: dashed)
        }
        let bytes = Plot(title: "FlexShard against the best baseline, by \(axis)", xLabel: axis, yLabel: "% less", xScale: .log,
                         series: [series("all-to-all, dedup off", dedup: false) { 100 * $0.allToAllLess },
                     series("all-to-all, dedup on", dedup: true) { 100 * $0.allToAllLess },
                     series("inter-node, dedup off", dedup: false) { 100 * $0.interNodeLess },
                     series("inter-node, dedup on", dedup: true) { 100 * $0.interNodeLess },
                     series("inter-node floor (no dedup)", dedup: false, dashed: true) { $0.floorInterNodeLess.map { 100 * $0 } }]).render()
        let time = Plot(title: "Modelled communication time, best baseline over FlexShard, by \(axis)", xLabel: axis,
                        yLabel: "times lower", xScale: .log,
                        series: [series("dedup off", dedup: false) { $0.timeLower }, series("dedup on", dedup: true) { $0.timeLower },
                                 series("floor (no dedup)", dedup: false, dashed: true) { $0.floorTimeLower }]).render()
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try bytes.write(toFile: "\(folder)/flexshard-map-\(axis)-bytes.svg", atomically: true, encoding: .utf8)
        try time.write(toFile: "\(folder)/flexshard-map-\(axis)-time.svg", atomically: true, encoding: .utf8)
    }
}
