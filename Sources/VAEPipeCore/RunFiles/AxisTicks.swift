import Foundation

/// Round numbers for chart axes, shared by the report's SVG charts and the exporters' pictures.
public enum AxisTicks {
    /// 1, 2 or 5 times a power of ten, the nearest at or above `raw` (Heckbert's "nice numbers").
    public static func step(_ raw: Double) -> Double {
        let power = pow(10, (log10(raw)).rounded(.down))
        let fraction = raw / power
        return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * power
    }

    /// The multiples of `step` that lie in `range`.
    public static func multiples(of step: Double, in range: ClosedRange<Double>) -> [Double] {
        let first = (range.lowerBound / step).rounded(.up), last = (range.upperBound / step).rounded(.down)
        guard first <= last else { return [] }
        return (Int(first)...Int(last)).map { Double($0) * step }
    }

    /// As many decimals as the tick step needs, and no "-0".
    public static func label(_ value: Double, step: Double) -> String {
        let decimals = max(0, min(6, Int((-log10(step)).rounded(.up))))
        let text = String(format: "%.\(decimals)f", value)
        return Double(text) == 0 ? String(format: "%.\(decimals)f", 0.0) : text
    }
}
