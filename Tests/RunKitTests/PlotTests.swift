import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import RunKit
import XCTest

final class PlotTests: XCTestCase {
    /// Counts elements, and elements by class, of a well-formed document.
    final class Collector: NSObject, XMLParserDelegate {
        var classes: [String: Int] = [:]
        var elements: [String: Int] = [:]
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?,
                    qualifiedName: String?, attributes: [String: String] = [:]) {
            elements[name, default: 0] += 1
            if let c = attributes["class"] { classes[c, default: 0] += 1 }
        }
    }

    func parse(_ svg: String, file: StaticString = #filePath, line: UInt = #line) -> Collector {
        let parser = XMLParser(data: Data(svg.utf8))
        let collector = Collector()
        parser.delegate = collector
        XCTAssertTrue(parser.parse(), "not well-formed: \(String(describing: parser.parserError))", file: file, line: line)
        XCTAssertFalse(svg.lowercased().contains("nan"), "NaN in SVG", file: file, line: line)
        XCTAssertFalse(svg.lowercased().contains("inf"), "infinity in SVG", file: file, line: line)
        return collector
    }

    func testSeriesMarkersLegendAndMarkOnLinearAxes() {
        var plot = Plot(title: "AUC <by> round & more", xLabel: "round", yLabel: "AUC",
                        series: [.init(name: "fl", points: [(1, 0.6), (2, 0.7), (3, .nan), (4, 0.72)]),
                                 .init(name: "fel", points: [(1, 0.65), (4, 0.75)], dashed: true)],
                        marks: [.init("target", y: 0.74)])
        plot.notes = ["seed 1"]
        let svg = plot.render()
        let p = parse(svg)
        XCTAssertEqual(p.elements["svg"], 1)
        XCTAssertEqual(p.classes["series"], 2)
        XCTAssertEqual(p.classes["point"], 5)   // the NaN point is left out
        XCTAssertEqual(p.classes["legend-text"], 3)
        XCTAssertEqual(p.classes["mark"], 1)
        XCTAssertTrue(svg.contains("AUC &lt;by&gt; round &amp; more"))
        XCTAssertFalse(svg.contains("(log scale)"))
    }

    func testLogAxesLeaveOutWhatCannotSitOnThem() {
        let plot = Plot(title: "t", xLabel: "x", yLabel: "y", xScale: .log, yScale: .log,
                        series: [.init(name: "s", points: [(0, 1), (10, 2), (100, -1), (1000, 3)], line: false, errors: [1, 1, 1, 5])],
                        marks: [.init("c", y: -0.5, widens: false)])
        let svg = plot.render()
        let p = parse(svg)
        XCTAssertEqual(p.classes["point"], 2)
        XCTAssertNil(p.classes["series"])
        XCTAssertEqual(p.classes["error-bar"], 6)
        XCTAssertTrue(svg.contains("c (below the axis)"))
        XCTAssertTrue(svg.contains(">10<tspan"))
        XCTAssertTrue(svg.contains("x (log scale)"))
    }

    func testDegenerateAndEmptyPlotsStayFiniteAndStepsStack() {
        _ = parse(Plot(title: "empty", xLabel: "x", yLabel: "y").render())
        _ = parse(Plot(title: "one", xLabel: "x", yLabel: "y", series: [.init(name: "a", points: [(3, 3)])]).render())
        var a = Plot(title: "a", xLabel: "hour", yLabel: "servers", series: [.init(name: "g", points: [(0, 1), (1, 3), (2, 2)], markers: false, step: true)])
        a.yFromZero = true
        let b = Plot(title: "b", xLabel: "hour", yLabel: "kW", series: [.init(name: "h", points: [(0, 5), (2, 6)])])
        let svg = Plot.document([a, b])
        let p = parse(svg)
        XCTAssertEqual(p.elements["svg"], 1)
        XCTAssertEqual(p.elements["g"], 2)
        XCTAssertTrue(svg.contains(">0</text>"))   // a from zero
        // The staircase holds each value until the next x: 3 points draw 5 vertices.
        let path = svg.components(separatedBy: "<path d=\"")[1].components(separatedBy: "\"")[0]
        XCTAssertEqual(path.components(separatedBy: " L").count, 5)
    }
}
