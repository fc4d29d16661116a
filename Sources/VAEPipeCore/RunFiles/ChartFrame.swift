import Foundation

/// What the report's charts share: the SVG element, the plot's box, a value axis up the left
/// with grid lines at round numbers, and the two axes with their names. A chart draws its own
/// marks inside the box.
struct ChartFrame {
    static let left = 62.0, right = 14.0, top = 12.0, bottom = 46.0
    static let height = 270.0
    var width: Double
    /// Round-number ticks up the left and the values they span (`LossChart.niceTicks`).
    var y: (ticks: [Double], step: Double, domain: ClosedRange<Double>)

    var plotWidth: Double { width - Self.left - Self.right }
    var plotHeight: Double { Self.height - Self.top - Self.bottom }
    var bottomY: Double { Self.top + plotHeight }

    func py(_ v: Double) -> Double {
        Self.top + (y.domain.upperBound - v) / (y.domain.upperBound - y.domain.lowerBound) * plotHeight
    }

    /// The opening `<svg>`, then the grid lines and their values.
    func open(label: String, style: String = "") -> String {
        var s = """
        <svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 \(svgNumber(width)) \(svgNumber(Self.height))" \
        \(style.isEmpty ? "" : "style=\"\(style)\" ")role="img" aria-label="\(Markup.escape(label))">\n
        """
        for t in y.ticks {
            s += "<line class=\"grid\" x1=\"\(svgNumber(Self.left))\" x2=\"\(svgNumber(width - Self.right))\" y1=\"\(svgNumber(py(t)))\" y2=\"\(svgNumber(py(t)))\"/>\n"
            s += "<text class=\"tick\" x=\"\(svgNumber(Self.left - 6))\" y=\"\(svgNumber(py(t) + 4))\" text-anchor=\"end\">\(AxisTicks.label(t, step: y.step))</text>\n"
        }
        return s
    }

    /// Both axes, the name of the one across under it and of the value axis turned up its side.
    func axes(x xLabel: String, y yLabel: String) -> String {
        var s = "<line class=\"axis\" x1=\"\(svgNumber(Self.left))\" x2=\"\(svgNumber(width - Self.right))\" y1=\"\(svgNumber(bottomY))\" y2=\"\(svgNumber(bottomY))\"/>\n"
        s += "<line class=\"axis\" x1=\"\(svgNumber(Self.left))\" x2=\"\(svgNumber(Self.left))\" y1=\"\(svgNumber(Self.top))\" y2=\"\(svgNumber(bottomY))\"/>\n"
        s += "<text class=\"label\" x=\"\(svgNumber(Self.left + plotWidth / 2))\" y=\"\(svgNumber(Self.height - 6))\" text-anchor=\"middle\">\(Markup.escape(xLabel))</text>\n"
        s += "<text class=\"label\" transform=\"translate(16 \(svgNumber(Self.top + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\">\(Markup.escape(yLabel))</text>\n"
        return s
    }
}

/// SVG coordinates to a tenth of a pixel: finer is invisible and only makes the page longer.
func svgNumber(_ v: Double) -> String { String(format: "%.1f", v) }
