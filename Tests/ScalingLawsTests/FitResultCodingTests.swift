import Foundation
import ScalingLaws
import XCTest

final class FitResultCodingTests: XCTestCase {
    func testSnakeCaseKeysAndRoundTrip() throws {
        let xs = Fixtures.logSpaced(10, 1e6, count: 7)
        let points = Fixtures.points(PowerLaw(a: 4, b: 0.3, c: 0.5), xs: xs, noise: 0.005, seed: 9)
        let fit = try PowerLawFit(bootstrapResamples: 30).fit(points, holdLargest: 1)
        let data = try JSONEncoder().encode(fit)
        let json = try XCTUnwrap(String(data: data, encoding: .utf8))
        for key in ["\"a\"", "\"b\"", "\"c\"", "\"r2\"", "\"rmse\"", "\"points\"", "\"ci\"", "\"held_out\"",
                    "\"hold_largest\"", "\"training_fit\"", "\"mean_abs_relative_error\"",
                    "\"relative_error\"", "\"lower\"", "\"upper\"", "\"warnings\""] {
            XCTAssertTrue(json.contains(key), "missing \(key) in \(json)")
        }
        XCTAssertFalse(json.contains("heldOut"))
        XCTAssertEqual(try JSONDecoder().decode(FitResult.self, from: data), fit)
        // The same keys come out under convertToSnakeCase.
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = .sortedKeys
        let plain = JSONEncoder()
        plain.outputFormatting = .sortedKeys
        XCTAssertEqual(try encoder.encode(fit), try plain.encode(fit))
    }
}
