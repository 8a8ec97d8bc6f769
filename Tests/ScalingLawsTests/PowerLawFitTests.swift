import Foundation
import ScalingLaws
import XCTest

final class PowerLawFitTests: XCTestCase {
    /// Laws across the regimes a sweep meets: c near 0, c comparable to the decaying
    /// term, and c dominating it (the hard case: the decay is a small part of y).
    static let laws = [
        PowerLaw(a: 10, b: 0.5, c: 0.01),
        PowerLaw(a: 5, b: 0.3, c: 0.5),
        PowerLaw(a: 40, b: 0.7, c: 1.0),
        PowerLaw(a: 20, b: 0.3, c: 2.0),
        PowerLaw(a: 50, b: 0.5, c: 3.0),
    ]
    let noCI = PowerLawFit(bootstrapResamples: 0)

    func testExactRecoveryWithoutNoise() throws {
        let xs = Fixtures.logSpaced(1e2, 1e8, count: 10)
        for law in Self.laws {
            let fit = try noCI.fit(xs.map { ScalingPoint(x: $0, y: law($0)) })
            XCTAssertLessThan(Fixtures.relative(fit.a, law.a), 1e-6, "a of \(law)")
            XCTAssertLessThan(Fixtures.relative(fit.b, law.b), 1e-6, "b of \(law)")
            XCTAssertLessThan(Fixtures.relative(fit.c, law.c), 1e-6, "c of \(law)")
            XCTAssertGreaterThan(fit.r2, 1 - 1e-12)
            XCTAssertEqual(fit.points, 10)
            XCTAssertTrue(fit.warnings.isEmpty, "\(fit.warnings)")
        }
    }

    func testRecoversWithinOnePercentUnderSmallNoise() throws {
        let xs = Fixtures.logSpaced(1e2, 1e8, count: 25)
        for (i, law) in Self.laws.enumerated() {
            // Multiplicative noise has sd proportional to y: weight 1 / y^2 is the matching estimator.
            let points = Fixtures.points(law, xs: xs, noise: 0.002, seed: 100 + UInt64(i), seedsPerX: 3)
                .map { ScalingPoint(x: $0.x, y: $0.y, weight: 1 / ($0.y * $0.y)) }
            let fit = try noCI.fit(points)
            XCTAssertLessThan(Fixtures.relative(fit.a, law.a), 0.01, "a of \(law): \(fit.a)")
            XCTAssertLessThan(Fixtures.relative(fit.b, law.b), 0.01, "b of \(law): \(fit.b)")
            XCTAssertLessThan(Fixtures.relative(fit.c, law.c), 0.01, "c of \(law): \(fit.c)")
            XCTAssertGreaterThan(fit.r2, 0.99)
        }
    }

    /// Independent of noise luck: the polish must reach the least-squares minimum,
    /// so the fitted law can never have a larger residual than the true one.
    func testFitIsAtLeastAsGoodAsTheTruth() throws {
        let xs = Fixtures.logSpaced(10, 1e6, count: 12)
        for (i, law) in Self.laws.enumerated() {
            let points = Fixtures.points(law, xs: xs, noise: 0.02, seed: 7 + UInt64(i))
            let fit = try noCI.fit(points)
            let truthSSE = points.map { ($0.y - law($0.x)) * ($0.y - law($0.x)) }.reduce(0, +)
            let fitSSE = fit.rmse * fit.rmse * Double(points.count)
            XCTAssertLessThanOrEqual(fitSSE, truthSSE * (1 + 1e-9), "\(law)")
        }
    }

    func testRefusesFewerThanThreePoints() {
        let two = [ScalingPoint(x: 1, y: 2), ScalingPoint(x: 10, y: 1)]
        XCTAssertThrowsError(try noCI.fit(two)) { error in
            XCTAssertEqual(error as? PowerLawFitError, .tooFewPoints(given: 2, distinctX: 2, needed: 3))
            let message = String(describing: error)
            XCTAssertTrue(message.contains("at least 3"), message)
            XCTAssertTrue(message.contains("got 2 points"), message)
        }
        // Many points but only two distinct x still cannot determine three parameters.
        let repeated = two + two + two
        XCTAssertThrowsError(try noCI.fit(repeated)) { error in
            XCTAssertEqual(error as? PowerLawFitError, .tooFewPoints(given: 6, distinctX: 2, needed: 3))
        }
        XCTAssertThrowsError(try noCI.fit([]))
    }

    func testRefusesNonPositiveXAndNonFiniteValues() {
        let good = [ScalingPoint(x: 1, y: 3), ScalingPoint(x: 10, y: 2), ScalingPoint(x: 100, y: 1.5)]
        var bad = good
        bad[1].x = 0
        XCTAssertThrowsError(try noCI.fit(bad)) {
            XCTAssertEqual($0 as? PowerLawFitError, .nonPositiveX(index: 1, x: 0))
        }
        bad = good
        bad[2].y = .nan
        XCTAssertThrowsError(try noCI.fit(bad)) {
            XCTAssertEqual($0 as? PowerLawFitError, .nonFinite(index: 2, field: "y"))
        }
        bad = good
        bad[0].x = .infinity
        XCTAssertThrowsError(try noCI.fit(bad)) {
            XCTAssertEqual($0 as? PowerLawFitError, .nonFinite(index: 0, field: "x"))
        }
        bad = good
        bad[0].weight = 0
        XCTAssertThrowsError(try noCI.fit(bad))
    }

    /// Flat data: no decay exists; the fit must say so and stay finite (JSON-encodable).
    func testConstantDataIsReportedNotCrashed() throws {
        let points = [1.0, 10, 100, 1000].map { ScalingPoint(x: $0, y: 0.7) }
        let fit = try PowerLawFit(bootstrapResamples: 20).fit(points, holdLargest: 1)
        XCTAssertEqual(fit.a, 0)
        XCTAssertEqual(fit.b, 0)
        XCTAssertEqual(fit.c, 0.7)
        XCTAssertFalse(fit.warnings.isEmpty)
        XCTAssertNoThrow(try JSONEncoder().encode(fit))
    }

    /// Increasing data: the fit reports b <= 0 (or a warning) honestly, never NaN.
    func testIncreasingDataReportsNonPositiveExponent() throws {
        let points = Fixtures.logSpaced(1, 1e4, count: 8).map { ScalingPoint(x: $0, y: 1 + 0.1 * log($0)) }
        let fit = try PowerLawFit(bootstrapResamples: 20).fit(points, holdLargest: 1)
        XCTAssertLessThanOrEqual(fit.b, 0)
        XCTAssertTrue(fit.warnings.contains { $0.contains("b = ") }, "\(fit.warnings)")
        XCTAssertTrue([fit.a, fit.b, fit.c, fit.r2, fit.rmse].allSatisfy(\.isFinite))
        XCTAssertNoThrow(try JSONEncoder().encode(fit))
    }

    func testArrayConvenienceMatchesPoints() throws {
        let law = Self.laws[1]
        let xs = Fixtures.logSpaced(10, 1e5, count: 6)
        let viaArrays = try noCI.fit(x: xs, y: xs.map { law($0) })
        let viaPoints = try noCI.fit(xs.map { ScalingPoint(x: $0, y: law($0)) })
        XCTAssertEqual(viaArrays, viaPoints)
    }
}
