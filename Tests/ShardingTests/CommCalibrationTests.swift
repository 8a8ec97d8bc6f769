import XCTest
import Foundation
import Sharding

/// The alpha-beta model's figures: rounds per collective, and calibration
/// files read back as written or refused in one sentence naming the file.
final class CommCalibrationTests: XCTestCase {
    func testRoundsAreCeilLog2() {
        XCTAssertEqual([1, 2, 3, 4, 5, 8, 9, 64, 65].map(CommCalibration.rounds), [0, 1, 2, 2, 3, 3, 4, 6, 7])
    }

    func path(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("strata-cal-\(UUID().uuidString)-\(name)").path
    }

    func testWrittenCalibrationReadsBack() throws {
        let c = CommCalibration(intraNodeLatency: 9e-6, interNodeLatency: 2e-4, intraNodeBandwidth: 3e8, interNodeBandwidth: 1.2e8)
        let p = path("ok.json")
        defer { try? FileManager.default.removeItem(atPath: p) }
        try c.write(to: p)
        XCTAssertEqual(try CommCalibration.read(p), c)
        // Latencies alone are enough (bandwidths then come from the topology).
        try Data(#"{"intra_node_latency_s": 1e-5, "inter_node_latency_s": 1e-4}"#.utf8).write(to: URL(fileURLWithPath: p))
        XCTAssertEqual(try CommCalibration.read(p), CommCalibration(intraNodeLatency: 1e-5, interNodeLatency: 1e-4))
    }

    func testBadFilesAreRefusedNamingTheFile() throws {
        let p = path("bad.json")
        defer { try? FileManager.default.removeItem(atPath: p) }
        func message(_ text: String?) -> String {
            if let text { try? Data(text.utf8).write(to: URL(fileURLWithPath: p)) } else { try? FileManager.default.removeItem(atPath: p) }
            do { _ = try CommCalibration.read(p); return "" } catch { return "\(error)" }
        }
        for (text, words) in [(nil, "cannot be read"), ("{}", "is not a calibration"),
                              (#"{"intra_node_latency_s": -1, "inter_node_latency_s": 1e-4}"#, "intra_node_latency_s"),
                              (#"{"intra_node_latency_s": 1e-5, "inter_node_latency_s": 1e-4, "inter_node_bytes_per_s": 0}"#,
                               "inter_node_bytes_per_s")] as [(String?, String)] {
            let m = message(text)
            XCTAssertTrue(m.contains(p) && m.contains(words), "\(text ?? "missing file"): \(m)")
        }
    }
}
