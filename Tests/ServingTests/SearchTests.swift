import Foundation
import Serving
import XCTest

/// The stage-1 search on synthetic response surfaces with a known maximum,
/// and DeepRecSys's rate search on a queue with a known answer.
final class SearchTests: XCTestCase {
    /// A smooth unimodal surface over (log m, log t, log b) peaking at (m*, t*, b*).
    func surface(peak: ServingConfig) -> (ServingConfig) -> Double {
        { c in
            let b = Double(c.subBatch == 0 ? 1024 : c.subBatch), pb = Double(peak.subBatch == 0 ? 1024 : peak.subBatch)
            let dm = log2(Double(c.instances)) - log2(Double(peak.instances))
            let dt = log2(Double(c.threads)) - log2(Double(peak.threads))
            let db = log2(b) - log2(pb)
            return 1000 * exp(-0.3 * dm * dm - 0.2 * dt * dt - 0.15 * db * db - 0.1 * dm * db)
        }
    }

    func testTheSearchFindsTheKnownMaximumWithFewerMeasurementsThanTheGrid() {
        let space = TaskSpace(cores: 32, subBatches: [8, 16, 32, 64, 128, 256])
        for peak in [ServingConfig(instances: 8, threads: 4, subBatch: 32), ServingConfig(instances: 16, threads: 2, subBatch: 64),
                     ServingConfig(instances: 1, threads: 32, subBatch: 0), ServingConfig(instances: 32, threads: 1, subBatch: 8)] {
            let f = surface(peak: peak)
            let search = TaskSearch(space: space, minGain: 0.001)
            let outcome = search.run(measure: f)
            let grid = search.grid(measure: f)
            let gridBest = grid.max { $0.qps < $1.qps }!
            XCTAssertEqual(gridBest.config, peak, "the surface peaks where it should")
            XCTAssertEqual(outcome.best, peak, "search from the default finds \(peak)")
            XCTAssertEqual(outcome.bestQPS, 1000, accuracy: 1e-9)
            XCTAssertLessThan(outcome.measured.count, grid.count, "\(outcome.measured.count) of \(grid.count)")
            XCTAssertEqual(Set(outcome.measured.map(\.config)).count, outcome.measured.count, "each configuration measured once")
        }
    }

    func testTheSearchStopsAtTheDefaultWhenNothingGains() {
        let space = TaskSpace(cores: 2, subBatches: [16, 64])
        let outcome = TaskSearch(space: space).run { c in c == .baseline(cores: 2) ? 100 : 101 }
        XCTAssertEqual(outcome.best, .baseline(cores: 2), "1 % is under the 3 % noise guard")
        XCTAssertEqual(space.all.count, 3 * 3, "(1,1), (1,2), (2,1) x {all, 16, 64}")
    }

    /// An M/M/1 queue at service rate mu: the 95th percentile of time in
    /// system is ln(20) / (mu - lambda), so the highest rate under a bound L is
    /// mu - ln(20) / L. The search, fed the exact tail, settles within its step.
    func testTheRateSearchSettlesAtTheQueuesKnownRate() {
        let mu = 200.0, bound = 0.05
        let answer = mu - log(20) / bound
        let search = RateSearch(boundSeconds: bound, steps: 30, settle: 7)
        let (rate, steps) = search.run(start: 10) { r in
            let tail = r < mu ? log(20) / (mu - r) : .infinity
            return RateSearch.Step(rate: r, tailSeconds: tail, achievedRate: r, shed: 0, failed: 0, requests: 100, meets: tail <= bound)
        }
        XCTAssertEqual(steps.count, 30)
        XCTAssertLessThanOrEqual(rate, answer * 1.0001, "never above the bound's rate")
        XCTAssertGreaterThan(rate, answer * 0.85, "within the 10 % band and one step: \(rate) vs \(answer)")
    }

    /// A real server's tail is a cliff: a few ms up to its capacity, far over
    /// the bound past it. Far steps alone would jump across the cliff for ever
    /// (measured: 492 <-> 738 QPS) and the median of those rates is one that
    /// missed; the search narrows in after the first miss and answers a rate
    /// that met the bound, within one near step of the capacity.
    func testTheRateSearchNarrowsInAtACliff() {
        let capacity = 700.0, bound = 0.05
        for start in [50.0, 200, 690, 2000] {
            let search = RateSearch(boundSeconds: bound, steps: 12, settle: 6)
            let (rate, steps) = search.run(start: start) { r in
                let tail = r <= capacity ? 0.006 : 0.12
                return RateSearch.Step(rate: r, tailSeconds: tail, achievedRate: r, shed: 0, failed: 0, requests: 100, meets: tail <= bound)
            }
            XCTAssertLessThanOrEqual(rate, capacity, "start \(start): a rate that met the bound")
            XCTAssertGreaterThan(rate, capacity / 1.25 / 1.12, "start \(start): within a near step (\(rate))")
            XCTAssertTrue(steps.contains { !$0.meets }, "start \(start): the cliff was found")
        }
        // Nothing meets: the answer is 0, not a rate that missed.
        let none = RateSearch(boundSeconds: bound, steps: 5, settle: 3).run(start: 100) { r in
            RateSearch.Step(rate: r, tailSeconds: 1, achievedRate: r, shed: 0, failed: 0, requests: 10, meets: false)
        }
        XCTAssertEqual(none.rate, 0)
    }
}
