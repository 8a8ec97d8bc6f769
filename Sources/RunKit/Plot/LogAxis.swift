import Foundation

/// A log10 axis: the range that covers some values, the map to pixels, and ticks.
///
/// Built so that nothing can become NaN: non-positive and non-finite values are
/// ignored, an empty or single-valued range is widened to a visible span, and a
/// range too narrow to hold two ticks gets labelled end ticks instead.
struct LogAxis {
    /// The range in log10 units.
    let lo: Double
    let hi: Double
    /// Pixel positions of `lo` and `hi` (for y, `start` is the bottom).
    let start: Double
    let end: Double

    struct Tick {
        let value: Double
        let major: Bool
        /// nil: an unlabelled minor tick.
        let label: TickLabel?
    }

    enum TickLabel: Equatable {
        /// 10^exponent, drawn with a raised exponent.
        case decade(Int)
        /// A plain number, three significant digits.
        case plain(String)
    }

    init(covering values: [Double], start: Double, end: Double) {
        let logs = values.filter { $0 > 0 && $0.isFinite }.map(log10)
        var lo = logs.min() ?? 0, hi = logs.max() ?? 1
        let minSpan = 0.2
        if hi - lo < minSpan {
            let mid = (lo + hi) / 2
            lo = mid - minSpan / 2
            hi = mid + minSpan / 2
        }
        let pad = 0.05 * (hi - lo)
        self.lo = lo - pad
        self.hi = hi + pad
        self.start = start
        self.end = end
    }

    var minValue: Double { pow(10, lo) }
    var maxValue: Double { pow(10, hi) }

    /// Pixel position of a positive value (values outside the range extrapolate linearly in log).
    func position(_ value: Double) -> Double {
        start + (log10(value) - lo) / (hi - lo) * (end - start)
    }

    func contains(_ value: Double) -> Bool {
        value > 0 && log10(value) >= lo && log10(value) <= hi
    }

    /// Decades always labelled; 2 and 5 labelled over less than two decades; every
    /// minor tick labelled over less than 0.6 decades; the ends labelled when fewer
    /// than two labels would otherwise show.
    var ticks: [Tick] {
        let span = hi - lo
        var ticks: [Tick] = []
        for e in Int(lo.rounded(.down))...Int(hi.rounded(.up)) {
            for m in 1...9 {
                let v = Double(m) * pow(10, Double(e))
                guard contains(v) else { continue }
                let label: TickLabel?
                if m == 1 {
                    label = .decade(e)
                } else if span < 0.6 || (span < 2 && (m == 2 || m == 5)) {
                    label = .plain(Self.format(v))
                } else {
                    label = nil
                }
                ticks.append(Tick(value: v, major: m == 1, label: label))
            }
        }
        if ticks.filter({ $0.label != nil }).count < 2 {
            ticks = ticks.map { Tick(value: $0.value, major: $0.major, label: nil) }
            for v in [minValue, maxValue] {
                ticks.append(Tick(value: v, major: true, label: .plain(Self.format(v))))
            }
        }
        return ticks
    }

    static func format(_ v: Double) -> String {
        String(format: "%.3g", v)
    }
}
