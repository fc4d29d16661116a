import Foundation

/// Each latent dimension's average KL as a bar chart in inline SVG for the run report, largest
/// first (the order of the traversal strips), each bar named by its dimension's index. A
/// dimension under `inactiveBelow` nats carries next to nothing about the image (posterior
/// collapse): its bar is gray on a gray column, so it shows even where it has no height.
struct KLChart {
    /// nats per image, by dimension.
    var kl: [Double]
    static let inactiveBelow = 0.01
    /// A dimension's column: wide for a few dimensions, down to a few pixels for hundreds.
    static let widest = 48.0, plotWidth = 800.0
    static let active = "#2563eb", inactive = "#8c959f", column = "#f3f4f6"

    /// Dimensions, largest KL first; ties (collapsed dimensions) in index order.
    var order: [Int] { kl.indices.sorted { kl[$0] > kl[$1] || (kl[$0] == kl[$1] && $0 < $1) } }
    var activeCount: Int { kl.filter { $0 >= Self.inactiveBelow }.count }
    var slot: Double { min(Self.widest, Self.plotWidth / Double(max(kl.count, 1))) }
    var width: Double { ChartFrame.left + slot * Double(kl.count) + ChartFrame.right }

    func svg() -> String {
        let frame = ChartFrame(width: width, y: LossChart.niceTicks([0] + kl.filter(\.isFinite)))
        let bottomY = frame.bottomY
        // Index labels need about 18 px each: with many dimensions, every n-th.
        let labelEvery = Int((18 / slot).rounded(.up))
        // Drawn at its own size at most: a few bars would be a poster stretched to the page.
        var s = frame.open(label: "KL per latent dimension", style: "max-width: \(svgNumber(width))px")
        for (rank, d) in order.enumerated() {
            let x = ChartFrame.left + Double(rank) * slot, value = kl[d], on = value >= Self.inactiveBelow
            let barX = svgNumber(x + slot * 0.15), barW = svgNumber(slot * 0.7)
            if !on {
                s += "<rect class=\"column\" x=\"\(barX)\" y=\"\(svgNumber(ChartFrame.top))\" width=\"\(barW)\" height=\"\(svgNumber(frame.plotHeight))\" fill=\"\(Self.column)\"/>\n"
            }
            // An inactive bar keeps 2 px, so it is seen to be there and to be empty.
            let top = min(frame.py(max(0, value)), bottomY - (on ? 0 : 2))
            s += "<rect class=\"bar \(on ? "active" : "inactive")\" data-dimension=\"\(d)\" x=\"\(barX)\" y=\"\(svgNumber(top))\" "
            s += "width=\"\(barW)\" height=\"\(svgNumber(bottomY - top))\" fill=\"\(on ? Self.active : Self.inactive)\">"
            s += "<title>z\(d): \(String(format: "%.4f", value)) nats\(on ? "" : " (inactive)")</title></rect>\n"
            if rank % labelEvery == 0 {
                s += "<text class=\"tick\" x=\"\(svgNumber(x + slot / 2))\" y=\"\(svgNumber(bottomY + 18))\" text-anchor=\"middle\">\(d)</text>\n"
            }
        }
        return s + frame.axes(x: "latent dimension, largest KL first", y: "nats per image") + "</svg>"
    }
}
