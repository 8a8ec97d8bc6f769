import ArgumentParser
import CLISupport
import Collectives
import Data
import Foundation
import RunKit
import Serving
import Training

/// `strata provision`: Hercules' stage 2 over a day, heterogeneity-aware against greedy.
struct ProvisionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "provision",
        abstract: "Allocate a heterogeneous fleet per time slot for a day of load: Hercules' scheduler against greedy.",
        discussion: """
        Per (model, server type) QPS comes from `strata serve profile` run folders (--profile, \
        repeatable): each model's searched QPS on this machine (measured) and its embedding \
        share set the modelled QPS of every type in the fleet (bdw-14c, skl-20c, clx-28c, \
        spr-hbm-56c; see docs/benchmarks/serving.md for their assumed specifications and power). Load: \
        --trace (CSV lines `slot,model,qps`) or a synthetic day (per model a cosine around its \
        own peak hour, trough 35 % of peak, 5 % noise; peak = --peak-servers servers' worth of \
        clx-28c). Each slot is allocated by greedy (largest demand first, first fit on the \
        fastest type) and by Hercules' heterogeneity-aware scheduler (minimum provisioned power: \
        efficiency-ordered placement, then exact per-model re-solves and pairwise exchanges); \
        both must meet every slot's demand within the fleet. Writes --out: summary.json (peak \
        servers and provisioned power of each, the savings), slots.jsonl, day.svg.
        """
    )

    @Option(help: "A `strata serve profile` run folder (repeatable; one per model).")
    var profile: [String]

    @Option(help: "Servers available per type, name=count (repeatable; default bdw-14c=400 skl-20c=300 clx-28c=200 spr-hbm-56c=24).")
    var available: [String] = []

    @Option(help: "Load trace: CSV lines slot,model,qps (default: the synthetic day).")
    var trace: String?

    @Option(name: .customLong("peak-servers"), help: "Synthetic day: each model's peak in clx-28c servers' worth.")
    var peakServers = 40.0

    @Option(help: "Slots in the synthetic day.")
    var slots = 24

    @Option(help: "Seed of the synthetic day's noise.")
    var seed: UInt64 = 1

    @Option(help: "Run folder.")
    var out: String

    func run() throws {
        var counts = ["bdw-14c": 400, "skl-20c": 300, "clx-28c": 200, "spr-hbm-56c": 24]
        let problem: ProvisioningProblem
        let profiles: [ProfileInput]
        var modelled: [[Double]] = []
        do {
            for a in available {
                let kv = a.split(separator: "=")
                guard kv.count == 2, let n = Int(kv[1]), n >= 0, counts[String(kv[0])] != nil else {
                    throw ValidationError("--available '\(a)': expected one of \(counts.keys.sorted().joined(separator: ", "))=COUNT")
                }
                counts[String(kv[0])] = n
            }
            // The fields stage 2 needs, read by name (summary.json's keys are snake_case).
            profiles = try profile.map { dir in
                let path = (dir as NSString).appendingPathComponent("summary.json")
                guard let data = FileManager.default.contents(atPath: path) else { throw InputError("\(path): cannot read") }
                guard let j = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                      let model = j["model"] as? String, let qps = (j["searched_qps"] as? NSNumber)?.doubleValue,
                      let cpus = (j["server_cpus"] ?? j["server_cp_us"]) as? [Any] else {
                    throw InputError("\(path): not a `strata serve profile` summary (needs model, searched_qps, server_cpus)")
                }
                return ProfileInput(model: model, searchedQPS: qps, cores: cpus.count,
                                    embeddingShare: (j["embedding_share"] as? NSNumber)?.doubleValue)
            }
            guard !profiles.isEmpty else { throw ValidationError("give at least one --profile") }
            let fleet = ServerModel.fleet
            modelled = profiles.map { p in
                fleet.map { $0.qps(measuredQPS: p.searchedQPS, measuredCores: p.cores, embeddingShare: p.embeddingShare ?? 0.5) }
            }
            let names = profiles.map(\.model)
            let demand: [[Double]]
            if let trace {
                demand = try Self.readTrace(trace, models: names)
            } else {
                let clx = fleet.firstIndex { $0.name == "clx-28c" }!
                demand = DiurnalLoad.synthetic(models: names.count, peaks: modelled.map { peakServers * $0[clx] }, slots: slots, seed: seed)
            }
            problem = ProvisioningProblem(models: names, types: fleet.map { ServerType(name: $0.name, watts: $0.watts, available: counts[$0.name]!) },
                                          qps: modelled, demand: demand)
        } catch let e as ValidationError { throw inputFailure(e.message) } catch { throw inputFailure(error) }

        let folder = try RunFolder(path: out, isWriter: true)
        let greedy: ProvisioningOutcome, aware: ProvisioningOutcome
        do {
            greedy = try problem.provision(.greedy)
            aware = try problem.provision(.hercules)
        } catch { throw inputFailure(error) }
        for s in problem.demand.indices {
            try folder.appendLine("slots.jsonl", SlotRecord(slot: s, demand: problem.demand[s],
                                                            greedyServers: greedy.slots[s].servers, greedyWatts: greedy.slots[s].watts(problem.types),
                                                            herculesServers: aware.slots[s].servers, herculesWatts: aware.slots[s].watts(problem.types)))
        }
        let summary = ProvisionSummary(
            models: problem.models, types: ServerModel.fleet, available: problem.types.map(\.available),
            qps: modelled, figures: "qps: modelled from each model's measured searched QPS on this machine; watts: assumed per type",
            load: trace ?? "synthetic day: \(slots) slots, peaks \(peakServers) clx-28c servers' worth, seed \(seed)",
            greedy: .init(peakServers: greedy.peakServers, peakWatts: greedy.peakWatts, peakServersByType: greedy.peakServersByType),
            hercules: .init(peakServers: aware.peakServers, peakWatts: aware.peakWatts, peakServersByType: aware.peakServersByType),
            capacitySaving: 1 - Double(aware.peakServers) / Double(max(greedy.peakServers, 1)),
            powerSaving: 1 - aware.peakWatts / max(greedy.peakWatts, 1e-9))
        try folder.writeJSON("summary.json", summary)
        try folder.writeText("day.svg", ProvisionPlots.day(problem, greedy: greedy, aware: aware))
        print(String(format: "provision: greedy %d servers %.0f kW; hercules %d servers %.0f kW: %.1f %% less capacity, %.1f %% less power",
                     greedy.peakServers, greedy.peakWatts / 1000, aware.peakServers, aware.peakWatts / 1000,
                     100 * summary.capacitySaving, 100 * summary.powerSaving))
    }

    static func readTrace(_ path: String, models: [String]) throws -> [[Double]] {
        let lines: [Substring]
        do { lines = try TextLines.read(path) } catch { throw InputError("\(error)") }
        var rows: [Int: [Double]] = [:]
        for (i, line) in lines.enumerated() {
            let l = line.trimmingCharacters(in: .whitespaces)
            if l.isEmpty || l.hasPrefix("#") || l.hasPrefix("slot") { continue }
            let f = l.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            guard f.count == 3, let s = Int(f[0]), s >= 0, let q = Double(f[2]), q >= 0, q.isFinite else {
                throw InputError("\(path):\(i + 1): expected slot,model,qps, got '\(l)'")
            }
            guard let m = models.firstIndex(of: f[1]) else { throw InputError("\(path):\(i + 1): model '\(f[1])' has no --profile (\(models.joined(separator: ", ")))") }
            rows[s, default: models.map { _ in 0 }][m] = q
        }
        guard let last = rows.keys.max() else { throw InputError("\(path): no slots") }
        return (0...last).map { rows[$0] ?? models.map { _ in 0 } }
    }
}

struct ProfileInput {
    var model: String
    var searchedQPS: Double
    var cores: Int
    var embeddingShare: Double?
}

struct SlotRecord: Codable {
    var slot: Int
    var demand: [Double]
    var greedyServers: [[Int]]
    var greedyWatts: Double
    var herculesServers: [[Int]]
    var herculesWatts: Double
}

struct ProvisionSummary: Codable {
    struct Figures: Codable { var peakServers: Int; var peakWatts: Double; var peakServersByType: [Int] }
    var models: [String]
    var types: [ServerModel]
    var available: [Int]
    var qps: [[Double]]
    var figures: String
    var load: String
    var greedy: Figures
    var hercules: Figures
    var capacitySaving: Double
    var powerSaving: Double
}

/// `strata provision`'s SVG of the day.
enum ProvisionPlots {
    static func day(_ p: ProvisioningProblem, greedy: ProvisioningOutcome, aware: ProvisioningOutcome) -> String {
        let colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"]
        let hours = p.demand.indices.map { 24 * Double($0) / Double(p.demand.count) }
        let lines = { (name: String, color: String, ys: [Double]) in
            Plot.Series(name: name, points: zip(hours, ys).map { ($0, $1) }, color: color, markers: false, step: true)
        }
        var load = Plot(title: "load per model (QPS)", xLabel: "hour", yLabel: "QPS", series: p.models.indices.map { m in
            .init(name: p.models[m], points: zip(hours, p.demand.map { $0[m] }).map { ($0, $1) }, color: colors[m % colors.count])
        })
        load.yFromZero = true
        var servers = Plot(title: "servers in use", xLabel: "hour", yLabel: "servers",
                           series: [lines("greedy", "#d62728", greedy.slots.map { Double($0.total) }),
                                    lines("hercules", "#2ca02c", aware.slots.map { Double($0.total) })])
        servers.yFromZero = true
        var power = Plot(title: "provisioned power in use (kW)", xLabel: "hour", yLabel: "kW",
                         series: [lines("greedy", "#d62728", greedy.slots.map { $0.watts(p.types) / 1000 }),
                                  lines("hercules", "#2ca02c", aware.slots.map { $0.watts(p.types) / 1000 })])
        power.yFromZero = true
        return Plot.document([load, servers, power].map { var c = $0; c.height = 320; return c })
    }
}
