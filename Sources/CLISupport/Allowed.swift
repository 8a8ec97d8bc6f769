import Collectives
import Foundation

/// The values a numeric config key or option accepts, declared once beside
/// the key, checked when the key is decoded, and said in the refusal
/// ("fl: data.alpha must be a finite number above 0, got nan (not a
/// number)"). NaN and infinities are refused by name; integers are refused
/// outside their bounds before anything is sized by them. `strata ranges`
/// lists every declaration (the input-hardening test feeds each one
/// NaN, infinity, -1, 0 and a huge value).
package struct Allowed: Sendable, CustomStringConvertible {
    package let integer: Bool
    package let low: Double, lowOpen: Bool
    package let high: Double
    /// The high bound excluded (a share that must stay below 1).
    package var highOpen = false
    /// Words the key also takes instead of a number (`min_rating: all`).
    package var exempt: [String] = []

    /// An integer in `r`.
    package static func ints(_ r: ClosedRange<Int>) -> Allowed { Allowed(integer: true, low: Double(r.lowerBound), lowOpen: false, high: Double(r.upperBound)) }
    /// A finite number in `r`.
    package static func reals(_ r: ClosedRange<Double>) -> Allowed { Allowed(integer: false, low: r.lowerBound, lowOpen: false, high: r.upperBound) }
    /// A finite number above `low` (excluded) and at most `high`.
    package static func above(_ low: Double, atMost high: Double = .greatestFiniteMagnitude) -> Allowed {
        Allowed(integer: false, low: low, lowOpen: true, high: high)
    }
    /// A finite number above `low` and below `high` (both excluded).
    package static func above(_ low: Double, below high: Double) -> Allowed {
        var a = Allowed(integer: false, low: low, lowOpen: true, high: high); a.highOpen = true; return a
    }
    /// A finite number at least `low` and below `high` (excluded).
    package static func atLeast(_ low: Double, below high: Double) -> Allowed {
        var a = Allowed(integer: false, low: low, lowOpen: false, high: high); a.highOpen = true; return a
    }
    /// A number above `low` (excluded) that a 32-bit float holds: a Float key's range.
    package static func float(above low: Double) -> Allowed { above(low, atMost: Double(Float.greatestFiniteMagnitude)) }
    /// The same range, also taking `word` instead of a number.
    package static func reals(_ r: ClosedRange<Double>, except word: String) -> Allowed {
        var a = reals(r); a.exempt = [word]; return a
    }
    /// A probability or a share: 0...1.
    package static let fraction = reals(0...1)
    /// A seed: any non-negative integer.
    package static let seed = ints(0...Int.max)
    /// A port to connect to.
    package static let port = ints(1...65535)

    package var description: String {
        let hi = high >= Double(Int.max) || high >= .greatestFiniteMagnitude ? nil : high
        func text(_ x: Double) -> String { integer || x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : "\(x)" }
        if integer {
            if let hi { return "an integer in \(text(low))...\(text(hi))" }
            return low == 1 ? "a positive integer" : low == 0 ? "a non-negative integer" : "an integer of at least \(text(low))"
        }
        let lo = lowOpen ? "above \(text(low))" : "at least \(text(low))"
        // Float's largest value is not a bound anyone chose: say what it is.
        if high == Double(Float.greatestFiniteMagnitude) { return "a finite 32-bit float \(lo)" }
        if let hi, highOpen { return "a finite number \(lo) and below \(text(hi))" }
        if let hi { return lowOpen ? "a finite number above \(text(low)) and at most \(text(hi))" : "a finite number in \(text(low))...\(text(hi))" }
        return "a finite number \(lo)"
    }

    package func contains(_ x: Double) -> Bool { x.isFinite && (lowOpen ? x > low : x >= low) && (highOpen ? x < high : x <= high) }

    /// `text` parsed and checked; a refusal names `key`, the range and what
    /// was given (and, for an element of a list, its index: "got 0 at [1]").
    @discardableResult
    package func check(_ text: String, key: String, at origin: String, element: Int? = nil) throws -> Double {
        let t = text.trimmingCharacters(in: .whitespaces)
        let place = element.map { " at [\($0)]" } ?? ""
        func refuse(_ got: String) -> InputError { InputError("\(origin): \(key) must be \(self), got \(got)\(place)") }
        if integer {
            guard let x = Int(t.replacingOccurrences(of: "_", with: "")) else {
                if let d = Double(t), !d.isFinite { throw refuse(d.isNaN ? "\(t) (not a number)" : "\(t) (infinite)") }
                throw refuse("'\(t)'")
            }
            guard contains(Double(x)) else { throw refuse("\(x)") }
            return Double(x)
        }
        guard let x = Double(t.replacingOccurrences(of: "_", with: "")) else { throw refuse("'\(t)'") }
        if x.isNaN { throw refuse("\(t) (not a number)") }
        if x.isInfinite { throw refuse("\(t) (infinite)") }
        guard contains(x) else { throw refuse(t) }
        return x
    }

    /// Which ends are included, in interval notation: `[]`, `(]`, `[)` or `()`.
    package var bounds: String { (lowOpen ? "(" : "[") + (highOpen ? ")" : "]") }

    /// One line of `strata ranges`: kind, bounds.
    package var listing: String { "\(integer ? "int" : "real") \(low) \(bounds) \(high)" }
}

/// A command's numeric options and their ranges, declared beside the
/// options; `check` refuses the first out-of-range one with exit 2.
package struct OptionRanges<Command>: Sendable {
    package let command: String
    package let options: [(name: String, allowed: Allowed, value: @Sendable (Command) -> Double?)]

    package init(_ command: String, _ options: [(String, Allowed, @Sendable (Command) -> Double?)]) {
        self.command = command
        self.options = options.map { (name: $0.0, allowed: $0.1, value: $0.2) }
    }

    /// These ranges and those of an option group the command holds.
    package func adding<Group>(_ more: [(String, Allowed, @Sendable (Group) -> Double?)], _ group: @escaping @Sendable (Command) -> Group) -> OptionRanges {
        typealias Option = (String, Allowed, @Sendable (Command) -> Double?)
        let mine: [Option] = options.map { ($0.name, $0.allowed, $0.value) }
        let theirs: [Option] = more.map { o -> Option in
            let read = o.2
            return (o.0, o.1, { @Sendable c in read(group(c)) })
        }
        return OptionRanges(command, mine + theirs)
    }

    package func check(_ c: Command) throws {
        for o in options {
            guard let v = o.value(c) else { continue }
            do { try o.allowed.check(Self.text(v, integer: o.allowed.integer), key: o.name, at: command) } catch {
                throw inputFailure(error)
            }
        }
    }

    package static func text(_ v: Double, integer: Bool) -> String { integer && v.isFinite && abs(v) < 9.2e18 ? String(Int(v)) : "\(v)" }

    package var listing: [String] { options.map { "\(command) option \($0.name) \($0.allowed.listing)" } }
}
