import Foundation
import ScalingLaws
import XCTest

final class HeldOutTests: XCTestCase {
    let xs = Fixtures.logSpaced(1e2, 1e8, count: 9)

    func testTruePowerLawExtrapolates() throws {
        let law = PowerLaw(a: 6, b: 0.35, c: 0.4)
        let points = Fixtures.points(law, xs: xs, noise: 0.002, seed: 3, seedsPerX: 2)
        let report = try PowerLawFit().heldOut(points, holdLargest: 2)
        XCTAssertEqual(report.predictions.count, 4) // two x, two seeds each
        XCTAssertEqual(Set(report.predictions.map(\.x)), Set(xs.suffix(2)))
        XCTAssertLessThan(report.meanAbsRelativeError, 0.01)
        for p in report.predictions {
            XCTAssertEqual(p.relativeError, (p.predicted - p.observed) / p.observed, accuracy: 1e-12)
        }
    }

    /// A U-shaped curve (loss that turns up again, e.g. overfitting) is no power law:
    /// fitted on the descent, it cannot predict the rise.
    func testNonPowerLawFailsToExtrapolate() throws {
        let points = xs.map { x -> ScalingPoint in
            let t = log10(x)
            return ScalingPoint(x: x, y: 2 - 0.3 * t + 0.04 * t * t)
        }
        let report = try PowerLawFit().heldOut(points, holdLargest: 2)
        XCTAssertGreaterThan(report.meanAbsRelativeError, 0.1)
    }

    func testRefusesHoldingOutTooMuch() {
        let points = xs.prefix(4).map { ScalingPoint(x: $0, y: 1 / $0 + 1) }
        XCTAssertThrowsError(try PowerLawFit().heldOut(points, holdLargest: 2)) {
            XCTAssertEqual($0 as? PowerLawFitError, .invalidHoldOut(holdLargest: 2, distinctX: 4, needed: 3))
            XCTAssertTrue(String(describing: $0).contains("1...1"), String(describing: $0))
        }
        XCTAssertThrowsError(try PowerLawFit().heldOut(points, holdLargest: 0))
    }

    func testFitCarriesHeldOutWhenAsked() throws {
        let points = xs.map { ScalingPoint(x: $0, y: 3 * pow($0, -0.5) + 1) }
        let fit = try PowerLawFit(bootstrapResamples: 0).fit(points, holdLargest: 1)
        let heldOut = try XCTUnwrap(fit.heldOut)
        XCTAssertEqual(heldOut.holdLargest, 1)
        XCTAssertLessThan(heldOut.meanAbsRelativeError, 1e-6)
        XCTAssertNil(try PowerLawFit(bootstrapResamples: 0).fit(points).heldOut)
    }
}
