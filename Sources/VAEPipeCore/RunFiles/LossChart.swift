import Foundation

/// A line chart of per-epoch values as inline SVG for the run report: axes with ticks at round
/// numbers, one polyline per series, a dot per epoch while there are few enough to tell apart
/// (a one-epoch run is a single dot). The legend is left to the page, outside the plot, where
/// it cannot cover a line.
struct LossChart {
    struct Series {
        var name: String
        var color: String
        /// (epoch, value); values that are not finite (a diverged run) are left out.
        var points: [(x: Double, y: Double)]
    }

    var title: String
    var yLabel: String
    var series: [Series]

    /// Small, so that the text keeps a readable size when three charts share a row.
    static let width = 440.0
    static let maxDots = 40

    func svg() -> String {
        let all = series.flatMap { $0.points }
        let xs = Self.xTicks(all.map(\.x))
        let frame = ChartFrame(width: Self.width, y: Self.niceTicks(all.map(\.y)))
        let (x0, x1) = (xs.domain.lowerBound, xs.domain.upperBound)
        func px(_ x: Double) -> Double { ChartFrame.left + (x - x0) / (x1 - x0) * frame.plotWidth }
        let py = frame.py, bottomY = frame.bottomY

        var s = frame.open(label: title)
        for t in xs.ticks {
            s += "<line class=\"axis\" x1=\"\(svgNumber(px(t)))\" x2=\"\(svgNumber(px(t)))\" y1=\"\(svgNumber(bottomY))\" y2=\"\(svgNumber(bottomY + 5))\"/>\n"
            s += "<text class=\"tick\" x=\"\(svgNumber(px(t)))\" y=\"\(svgNumber(bottomY + 20))\" text-anchor=\"middle\">\(AxisTicks.label(t, step: xs.step))</text>\n"
        }
        s += frame.axes(x: "epoch", y: yLabel)

        for line in series where !line.points.isEmpty {
            let points = line.points.map { "\(svgNumber(px($0.x))),\(svgNumber(py($0.y)))" }.joined(separator: " ")
            s += "<polyline class=\"series\" data-series=\"\(Markup.escape(line.name))\" stroke=\"\(line.color)\" points=\"\(points)\"/>\n"
            if line.points.count <= Self.maxDots {
                for p in line.points {
                    s += "<circle cx=\"\(svgNumber(px(p.x)))\" cy=\"\(svgNumber(py(p.y)))\" r=\"3\" fill=\"\(line.color)\">"
                    s += "<title>\(Markup.escape(line.name)), epoch \(Int(p.x)): \(AxisTicks.label(p.y, step: frame.y.step / 100))</title></circle>\n"
                }
            }
        }
        return s + "</svg>"
    }

    /// Integer epochs only; a lone epoch sits in the middle of a one-epoch-wide axis.
    static func xTicks(_ xs: [Double]) -> (ticks: [Double], step: Double, domain: ClosedRange<Double>) {
        guard let lo = xs.min(), let hi = xs.max() else { return ([], 1, 0...1) }
        if lo == hi { return ([lo], 1, (lo - 0.5)...(hi + 0.5)) }
        let step = max(1, AxisTicks.step((hi - lo) / 6))
        let first = (lo / step).rounded(.up) * step
        let ticks = stride(from: first, through: hi + 1e-9, by: step).map { $0 }
        return (ticks, step, lo...hi)
    }

    /// Ticks at 1, 2 or 5 times a power of ten, about five of them, with the axis extended to
    /// the ticks that enclose the data (Heckbert's "nice numbers").
    static func niceTicks(_ ys: [Double]) -> (ticks: [Double], step: Double, domain: ClosedRange<Double>) {
        guard var lo = ys.min(), var hi = ys.max() else { return ([0, 1], 1, 0...1) }
        if lo == hi {
            let pad = lo == 0 ? 1 : abs(lo) * 0.05
            lo -= pad; hi += pad
        }
        let step = AxisTicks.step((hi - lo) / 4)
        let first = (lo / step).rounded(.down) * step, last = (hi / step).rounded(.up) * step
        let count = Int(((last - first) / step).rounded())
        return ((0...count).map { first + Double($0) * step }, step, first...last)
    }
}

