import Collectives
import FedHetero
import Federated
import Foundation
import Tensors
import XCTest

final class GPOTests: XCTestCase {
    /// A toy environment with a known optimum: 3 states, 4 actions, noisy
    /// rewards with mean r(s, a) = 1 when a == (s + 1) % 4 else 0.2 a / 4;
    /// the next state is random. The greedy policy must find a = s + 1.
    func testQLearningFindsTheBestActionOfAToyEnvironment() {
        var agent = QAgent(states: 3, actions: 4, learningRate: 0.1, discount: 0.3, epsilon: 0.3, seed: 4)
        var env = StrataRNG(seed: 99)
        var s = 0
        for _ in 0..<4000 {
            let a = agent.choose(s)
            let mean = a == (s + 1) % 4 ? 1.0 : 0.2 * Double(a) / 4
            let r = mean + 0.3 * env.nextNormal()
            let next = env.nextIndex(below: 3)
            agent.update(state: s, action: a, reward: r, next: next)
            s = next
        }
        for st in 0..<3 { XCTAssertEqual(agent.greedy(st), (st + 1) % 4, "state \(st): \(agent.q)") }
        // Q of the best action near r / (1 - gamma) (the best action follows everywhere).
        XCTAssertEqual(agent.value(0, 1), 1 / (1 - 0.3), accuracy: 0.25)
    }

    func testQUpdateByHand() {
        var agent = QAgent(states: 2, actions: 2, learningRate: 0.5, discount: 0.9, epsilon: 0, seed: 1)
        agent.update(state: 1, action: 0, reward: 2, next: nil)        // Q(1,0) = 0.5 * 2 = 1
        XCTAssertEqual(agent.value(1, 0), 1)
        agent.update(state: 0, action: 1, reward: 1, next: 1)          // 0.5 * (1 + 0.9 * 1) = 0.95
        XCTAssertEqual(agent.value(0, 1), 0.95, accuracy: 1e-12)
        XCTAssertEqual(agent.greedy(0), 1)
        XCTAssertEqual(agent.choose(0), 1, "epsilon 0 is greedy")
    }

    func tinyGPO() -> (FederationConfig, GPOConfig, SyntheticClients) {
        var cfg = smallConfig(rounds: 4, k: 4)
        cfg.evalClients = 60
        cfg.client = ClientRoundConfig(epochs: 1, batch: 16, learningRate: 0.1)
        cfg.strategy = .fedAvg(serverLR: 1)
        var g = GPOConfig()
        g.batches = [8, 0]
        g.epochs = [1, 2]
        g.clients = [3, 6]
        g.common = GPOAction(batch: 8, epochs: 1, clients: 6)
        g.episodes = 2
        return (cfg, g, source(population: 60))
    }

    func testSeededFedGPORunRepeatsExactly() throws {
        let (cfg, g, s) = tinyGPO()
        let dirs = (0..<2).map { _ in NSTemporaryDirectory() + "gpo-\(UUID().uuidString)" }
        defer { for d in dirs { try? FileManager.default.removeItem(atPath: d) } }
        let a = try GPORun.run(comm: LocalCommunicator(), config: cfg, gpo: g, source: s, directory: dirs[0])!
        let b = try GPORun.run(comm: LocalCommunicator(), config: cfg, gpo: g, source: s, directory: dirs[1])!
        XCTAssertEqual(a.grid.count, 8)
        XCTAssertEqual(try StrataJSON.encoder().encode(a.fedgpo), try StrataJSON.encoder().encode(b.fedgpo))
        XCTAssertEqual(a.actionsUsed, b.actionsUsed)
        let ra = try String(contentsOfFile: dirs[0] + "/gpo_rounds.jsonl", encoding: .utf8)
        let rb = try String(contentsOfFile: dirs[1] + "/gpo_rounds.jsonl", encoding: .utf8)
        XCTAssertEqual(ra, rb)
        // 1 common + 8 fixed + 2 learning + 1 greedy runs of 4 rounds.
        XCTAssertEqual(ra.split(separator: "\n").count, 12 * 4)
        for f in ["gpo.json", "gpo_time.svg", "gpo_energy.svg"] { XCTAssertTrue(FileManager.default.fileExists(atPath: dirs[0] + "/" + f)) }
        // The best fixed setting is the grid's least energy to the target, when any reaches it.
        let reached = a.grid.compactMap(\.joulesToTarget)
        if let e = a.bestFixed.joulesToTarget { XCTAssertEqual(e, reached.min()!) }
    }

    func testStateBucketsSeeTheDevices() {
        let s = source(population: 60)
        let dev = DeviceModel(seed: 3)
        // Compute dominates (1 GFLOP a sample): no co-running app is the calm bucket, one on every device a slower one.
        var calm = dev
        calm.interference = 0
        var busy = dev
        busy.interference = 1
        let c = Array(0..<20)
        let a = RoundState.observe(candidates: c, round: 1, device: calm, source: s, parameters: 5000, flopsPerSample: 1e9)
        let b = RoundState.observe(candidates: c, round: 1, device: busy, source: s, parameters: 5000, flopsPerSample: 1e9)
        XCTAssertEqual(a.modelSize, 0)
        XCTAssertLessThan(a.conditions, b.conditions)
        XCTAssertEqual(a.heterogeneity, 0, "equal sample counts")
    }
}
