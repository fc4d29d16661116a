import Foundation
import VAEPipeCore

/// A labelled scatter plot as a picture: points coloured by class on a white square with a thin
/// frame, light grid lines at round numbers (darker through 0), tick labels, title lines above
/// and a legend of the classes to the right. Both axes share one scale, so distances
/// read the same across and up. Pure: no files.
struct ScatterPlot {
    /// (x, y) pairs.
    var points: [Double]
    /// One class per point, or nil: every point in the first colour and no legend.
    var labels: [Int]?
    /// Legend text for class c: names[c] where there is one, the number otherwise.
    var names: [String] = []
    var title: [String] = []
    /// Decides the order points are drawn in, so no class always lies on top.
    var seed: UInt64 = 1

    static let plot = 440, left = 84, bottom = 40
    static let text = 2, line = 20, radius = 2.5
    static let ink = RGB(0x1F2328), muted = RGB(0x656D76), grid = RGB(0xEEF0F2), axis = RGB(0xC4C9CF)
    static let maxNameLength = 14

    /// Tableau's ten colours, told apart by most readers (and by most colour-blind ones in
    /// the first few), then ten darker ones; beyond twenty classes the colours repeat.
    static let palette: [RGB] = [0x1F77B4, 0xFF7F0E, 0x2CA02C, 0xD62728, 0x9467BD, 0x8C564B, 0xE377C2, 0x7F7F7F,
                                 0xBCBD22, 0x17BECF, 0x393B79, 0x637939, 0x8C6D31, 0x843C39, 0x7B4173, 0x000000,
                                 0x3182BD, 0xE6550D, 0x31A354, 0x756BB1].map { RGB($0) }

    static func color(_ label: Int) -> RGB { palette[((label % palette.count) + palette.count) % palette.count] }

    /// The classes in the legend, in order.
    var classes: [Int] { labels.map { Array(Set($0)).sorted() } ?? [] }

    /// The plot, the legend as wide as its longest name, and room for the longest title line.
    var width: Int {
        let names = classes.map { BitmapFont.width(of: name($0), scale: Self.text) }.max().map { 16 + 22 + $0 } ?? 0
        let title = title.map { BitmapFont.width(of: $0, scale: Self.text) }.max() ?? 0
        return max(Self.left + Self.plot + names, Self.left + title) + 16
    }
    var height: Int { top + Self.plot + Self.bottom }
    /// Room for the title lines above the plot.
    var top: Int { 16 + title.count * Self.line }

    /// The square both axes show: the points' extent, padded, with the shorter side widened to the longer.
    var domain: (x: ClosedRange<Double>, y: ClosedRange<Double>) {
        let n = points.count / 2
        guard n > 0 else { return (-1...1, -1...1) }
        let xs = (0..<n).map { points[2 * $0] }, ys = (0..<n).map { points[2 * $0 + 1] }
        let span = max(xs.max()! - xs.min()!, ys.max()! - ys.min()!, 1e-6) * 1.08
        let cx = (xs.max()! + xs.min()!) / 2, cy = (ys.max()! + ys.min()!) / 2
        return ((cx - span / 2)...(cx + span / 2), (cy - span / 2)...(cy + span / 2))
    }

    /// Picture coordinates of a point: x to the right, y upwards.
    func position(_ x: Double, _ y: Double) -> (x: Double, y: Double) {
        let d = domain, p = Double(Self.plot)
        return (Double(Self.left) + (x - d.x.lowerBound) / (d.x.upperBound - d.x.lowerBound) * p,
                Double(top) + (d.y.upperBound - y) / (d.y.upperBound - d.y.lowerBound) * p)
    }

    func draw() -> GridImage {
        var c = Canvas(width: width, height: height)
        let d = domain, p = Self.plot, t = Self.text
        let step = AxisTicks.step((d.x.upperBound - d.x.lowerBound) / 5)
        for v in AxisTicks.multiples(of: step, in: d.x) {
            let x = Int(position(v, 0).x), color = abs(v) < step / 2 ? Self.axis : Self.grid
            c.fill(x: x, y: top, width: 1, height: p, color)
            c.fill(x: x, y: top + p, width: 1, height: 5, Self.muted)
            let label = AxisTicks.label(v, step: step)
            c.text(label, x: x - BitmapFont.width(of: label, scale: t) / 2, y: top + p + 9, scale: t, Self.muted)
        }
        for v in AxisTicks.multiples(of: step, in: d.y) {
            let y = Int(position(0, v).y), color = abs(v) < step / 2 ? Self.axis : Self.grid
            c.fill(x: Self.left, y: y, width: p, height: 1, color)
            c.fill(x: Self.left - 5, y: y, width: 5, height: 1, Self.muted)
            let label = AxisTicks.label(v, step: step)
            c.text(label, x: Self.left - 9 - BitmapFont.width(of: label, scale: t), y: y - BitmapFont.height * t / 2, scale: t, Self.muted)
        }

        var order = Array(0..<(points.count / 2))
        var rng = SplitMix64(seed: seed).derived(0x5CA7)
        order.shuffle(using: &rng)
        for i in order {
            let at = position(points[2 * i], points[2 * i + 1])
            c.disc(at.x, at.y, radius: Self.radius, Self.color(labels?[i] ?? 0))
        }
        // The frame last, over any point on the edge; the margins stay clear of points.
        c.frame(x: Self.left - 1, y: top - 1, width: p + 2, height: p + 2, Self.muted)

        for (i, line) in title.enumerated() {
            c.text(line, x: Self.left, y: 8 + i * Self.line, scale: t, i == 0 ? Self.ink : Self.muted)
        }
        drawLegend(&c)
        return c.image
    }

    private func drawLegend(_ c: inout Canvas) {
        let rows = Self.plot / Self.line
        let shown = classes.count <= rows ? classes : Array(classes.prefix(rows - 1))
        let x = Self.left + Self.plot + 16
        for (r, label) in shown.enumerated() {
            let y = top + r * Self.line
            c.fill(x: x, y: y, width: 14, height: 14, Self.color(label))
            c.text(name(label), x: x + 22, y: y, scale: Self.text, Self.ink)
        }
        if shown.count < classes.count {
            c.text("+\(classes.count - shown.count) MORE", x: x, y: top + shown.count * Self.line, scale: Self.text, Self.muted)
        }
    }

    func name(_ label: Int) -> String {
        String((label >= 0 && label < names.count ? names[label] : "\(label)").prefix(Self.maxNameLength))
    }
}
