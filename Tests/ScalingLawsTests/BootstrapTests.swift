import ScalingLaws
import XCTest

final class BootstrapTests: XCTestCase {
    let law = PowerLaw(a: 8, b: 0.4, c: 0.6)
    lazy var points = Fixtures.points(law, xs: Fixtures.logSpaced(1e2, 1e7, count: 10),
                                      noise: 0.01, seed: 42, seedsPerX: 3)

    func testIntervalContainsTrueParametersForNoisyFit() throws {
        let fit = try PowerLawFit().fit(points)
        let ci = try XCTUnwrap(fit.ci)
        XCTAssertTrue(ci.b.contains(law.b), "b interval \(ci.b)")
        XCTAssertTrue(ci.c.contains(law.c), "c interval \(ci.c)")
        XCTAssertTrue(ci.a.contains(law.a), "a interval \(ci.a)")
        // A real interval: it has width and brackets the point estimate.
        XCTAssertLessThan(ci.b.lower, ci.b.upper)
        XCTAssertTrue(ci.b.contains(fit.b))
        XCTAssertEqual(ci.resamples + ci.skipped, 200)
        XCTAssertEqual(ci.level, 0.95)
    }

    func testSameSeedSameIntervalsOtherSeedOther() throws {
        let one = PowerLawFit(bootstrapResamples: 50, seed: 1)
        XCTAssertEqual(one.bootstrap(points), one.bootstrap(points))
        XCTAssertNotEqual(one.bootstrap(points), PowerLawFit(bootstrapResamples: 50, seed: 2).bootstrap(points))
    }

    /// With exactly 3 distinct x most resamples lose one; those must be skipped, not crash.
    func testResamplesWithTooFewDistinctXAreSkipped() throws {
        let three = [1.0, 10, 100].map { ScalingPoint(x: $0, y: law($0)) }
        let ci = try XCTUnwrap(PowerLawFit(bootstrapResamples: 200).bootstrap(three))
        XCTAssertGreaterThan(ci.skipped, 100) // P(all 3 distinct) = 6/27
        XCTAssertEqual(ci.resamples + ci.skipped, 200)
    }
}
