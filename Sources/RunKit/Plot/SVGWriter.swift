import Foundation

/// Accumulates SVG elements as text, with the two guarantees a plot file needs:
/// every number is finite and printed with fixed precision (an element whose
/// coordinates would not be finite is dropped, so "NaN" never reaches the file),
/// and every piece of text is XML-escaped. `Plot` draws with it.
struct SVGWriter {
    private(set) var lines: [String] = []

    init() {}

    static func number(_ v: Double) -> String {
        String(format: "%.2f", v)
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for ch in text {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(ch)
            }
        }
        return out
    }

    mutating func raw(_ line: String) {
        lines.append(line)
    }

    mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, attributes: String) {
        guard [x1, y1, x2, y2].allSatisfy(\.isFinite) else { return }
        let n = Self.number
        lines.append("<line x1=\"\(n(x1))\" y1=\"\(n(y1))\" x2=\"\(n(x2))\" y2=\"\(n(y2))\" \(attributes)/>")
    }

    mutating func circle(_ cx: Double, _ cy: Double, r: Double, attributes: String) {
        guard cx.isFinite, cy.isFinite else { return }
        let n = Self.number
        lines.append("<circle cx=\"\(n(cx))\" cy=\"\(n(cy))\" r=\"\(n(r))\" \(attributes)/>")
    }

    /// `body` is already-escaped markup (it may hold a <tspan>); use `escape` for plain text.
    mutating func text(_ x: Double, _ y: Double, markup body: String, attributes: String) {
        guard x.isFinite, y.isFinite else { return }
        let n = Self.number
        lines.append("<text x=\"\(n(x))\" y=\"\(n(y))\" \(attributes)>\(body)</text>")
    }

    /// A polyline through the finite points, restarted (new "M") after any gap.
    mutating func path(_ points: [(Double, Double)?], attributes: String) {
        var d = ""
        var penDown = false
        for p in points {
            guard let (x, y) = p, x.isFinite, y.isFinite else {
                penDown = false
                continue
            }
            d += (penDown ? " L" : (d.isEmpty ? "M" : " M")) + "\(Self.number(x)) \(Self.number(y))"
            penDown = true
        }
        guard !d.isEmpty else { return }
        lines.append("<path d=\"\(d)\" \(attributes)/>")
    }
}
