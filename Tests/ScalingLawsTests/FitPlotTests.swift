import Foundation
import RunKit
import ScalingLaws
import XCTest

/// The sweep's plot: a fit drawn as a RunKit `Plot`.
final class FitPlotTests: XCTestCase {
    func render(groups: [RunGroup], fit: FitResult?) -> String {
        Plot.scalingLaw(title: "NE vs samples <data axis> & more", xLabel: "samples", yLabel: "NE", groups: groups, fit: fit).render()
    }

    /// Elements by class (RunKit's PlotTests hold the document well-formed), and no NaN or infinity.
    struct Parsed {
        var classes: [String: Int] = [:]
        var elements: [String: Int] = [:]
    }

    func parse(_ svg: String, file: StaticString = #filePath, line: UInt = #line) -> Parsed {
        var parsed = Parsed()
        for m in svg.matches(of: #/class="([a-z-]+)"/#) { parsed.classes[String(m.1), default: 0] += 1 }
        for m in svg.matches(of: #/<([a-z]+)[ >]/#) { parsed.elements[String(m.1), default: 0] += 1 }
        let lower = svg.lowercased()
        XCTAssertFalse(lower.contains("nan"), "NaN in SVG", file: file, line: line)
        XCTAssertFalse(lower.contains("inf"), "infinity in SVG", file: file, line: line)
        return parsed
    }

    func testCurvePointsAsymptoteAndLegend() throws {
        let law = PowerLaw(a: 5, b: 0.4, c: 0.3)
        let runs = Fixtures.points(law, xs: Fixtures.logSpaced(1e3, 1e7, count: 6), noise: 0.01,
                                   seed: 5, seedsPerX: 3)
        let fit = try PowerLawFit(bootstrapResamples: 0).fit(runs)
        let svg = render(groups: RunGroup.grouping(runs), fit: fit)
        let parsed = parse(svg)
        XCTAssertEqual(parsed.elements["svg"], 1)
        XCTAssertEqual(parsed.classes["point"], 6)
        XCTAssertEqual(parsed.classes["error-bar"], 18) // a bar and two caps per x
        XCTAssertEqual(parsed.classes["fit-curve"], 1)
        XCTAssertEqual(parsed.classes["asymptote"], 1)
        XCTAssertTrue(svg.contains("<path d=\"M"))
        XCTAssertTrue(svg.contains("stroke-dasharray"))
        XCTAssertTrue(svg.contains("asymptote c = 0.3"))
        XCTAssertTrue(svg.contains("R² = "))
        XCTAssertTrue(svg.contains("&lt;data axis&gt; &amp; more")) // escaped title
        XCTAssertTrue(svg.contains(">10<tspan")) // decade tick labels
        XCTAssertFalse(svg.contains("http://") && svg.replacingOccurrences(
            of: "http://www.w3.org/2000/svg", with: "").contains("http://")) // no external references
    }

    func testSingleXAndIdenticalYStayFinite() {
        let single = [RunGroup(x: 1000, mean: 0.5, std: 0, count: 1)]
        _ = parse(render(groups: single, fit: nil))
        let flat = [10.0, 100, 1000].map { RunGroup(x: $0, mean: 0.7, std: 0, count: 2) }
        let flatFit = FitResult(a: 0, b: 0, c: 0.7, r2: 1, rmse: 0, points: 6)
        let parsed = parse(render(groups: flat, fit: flatFit))
        XCTAssertEqual(parsed.classes["point"], 3)
        XCTAssertEqual(parsed.classes["asymptote"], 1)
        _ = parse(render(groups: [], fit: nil))
    }

    /// c <= 0 cannot sit on a log axis: the line goes to the bottom edge, labelled as such.
    func testNonPositiveAsymptoteIsDrawnOffScale() {
        let groups = [10.0, 100, 1000].map { RunGroup(x: $0, mean: 2 / $0 + 0.01, std: 0.2 / $0, count: 3) }
        let fit = FitResult(a: 2, b: 1, c: -0.1, r2: 0.99, rmse: 0.01, points: 9)
        let svg = render(groups: groups, fit: fit)
        _ = parse(svg)
        XCTAssertTrue(svg.contains("(below the axis)"))
    }
}
