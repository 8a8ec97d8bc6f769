import Collectives
import Foundation
import XCTest
import KernelRecommenders

/// ∞-AE on 1, 2, 3 and 4 ranks (threads with LocalCommunicator) equals one
/// process: the kernel, the chosen λ and every metric. Tests/MPI repeats this
/// under mpirun.
final class WorldEquivalenceTests: XCTestCase {
    static func data(users: Int = 23, items: Int = 31, seed: UInt64 = 5) throws -> InteractionData {
        let dir = NSTemporaryDirectory() + "iae-world-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var t = "user,item\n"
        let rows = KernelOracleTests.randomRows(users, items, density: 0.3, seed: seed)
        for u in 0..<users { for i in rows.row(u) { t += "\(u),\(i)\n" } }
        // Every user interacts with item (u mod 5) too, so each keeps 3+ items and shares structure.
        for u in 0..<users { t += "\(u),\(items + u % 5)\n\(u),\(items + 5 + u % 3)\n\(u),\(items + 8 + u % 2)\n" }
        try t.write(toFile: dir + "/i.csv", atomically: true, encoding: .utf8)
        return try InteractionData.load(InteractionSource(path: dir + "/i.csv", seed: seed))
    }

    func testEveryWorldSizeEqualsOneProcess() throws {
        let d = try Self.data()
        var config = InfiniteAEConfig()
        config.ks = [3, 10]
        config.blockRows = 4
        for solver in KernelSolver.allCases {
            config.solver = solver
            let one = try InfiniteAE.run(d, comm: LocalCommunicator(), config: config)
            for size in 2...4 {
                let results = try LocalCommunicator.run(worldSize: size) { try InfiniteAE.run(d, comm: $0, config: config) }
                for r in results {
                    XCTAssertEqual(r.chosenLambda, one.chosenLambda, "\(solver) on \(size)")
                    XCTAssertEqual(r.test.users, one.test.users)
                    for (a, b) in zip(r.test.flat.sorted { $0.key < $1.key }, one.test.flat.sorted { $0.key < $1.key }) {
                        XCTAssertEqual(a.value, b.value, accuracy: 1e-9, "\(solver) \(a.key) on \(size) ranks")
                    }
                }
            }
        }
    }

    func testEigenAndCholeskyAgree() throws {
        let d = try Self.data(seed: 9)
        var config = InfiniteAEConfig()
        config.ks = [3, 10]
        config.lambdas = [0.1, 1, 5]
        config.solver = .eigen
        let e = try InfiniteAE.run(d, comm: LocalCommunicator(), config: config)
        config.solver = .cholesky
        let c = try InfiniteAE.run(d, comm: LocalCommunicator(), config: config)
        XCTAssertEqual(e.chosenLambda, c.chosenLambda)
        for (a, b) in zip(e.lambdas, c.lambdas) {
            for (x, y) in zip(a.validation.ndcg, b.validation.ndcg) { XCTAssertEqual(x, y, accuracy: 1e-9) }
        }
        for (x, y) in zip(e.test.hitRate, c.test.hitRate) { XCTAssertEqual(x, y, accuracy: 1e-9) }
        // Better than popularity on data with structure is not guaranteed at this size; both must be valid fractions.
        let pop = InfiniteAE.popularity(d, comm: LocalCommunicator(), config: config)
        for v in pop.hitRate + e.test.hitRate { XCTAssertTrue((0...1).contains(v)) }
    }
}
