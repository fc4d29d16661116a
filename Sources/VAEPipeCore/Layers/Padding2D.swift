// The conv model works on 32x32 (three stride-2 halvings reach 4x4 evenly), so 28x28 images are
// zero-padded on the way in and the decoder's 32x32 output is cropped on the way out. Padding and
// cropping are each other's adjoint: each layer's backward is the other's forward.

/// Adds `pad` zero pixels on every side of each [H x W x C] image (NHWC).
public final class ZeroPad2D: Layer {
    public let channels: Int, height: Int, width: Int, pad: Int
    public var inputSize: Int { height * width * channels }
    public var outputSize: Int { (height + 2 * pad) * (width + 2 * pad) * channels }

    public init(channels: Int, height: Int, width: Int, pad: Int) {
        precondition(channels > 0 && height > 0 && width > 0 && pad >= 0)
        self.channels = channels; self.height = height; self.width = width; self.pad = pad
    }

    public func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch: Int) {
        Border.pad(x, into: y, batch: batch, channels: channels, height: height, width: width, by: pad)
    }

    public func backward(
        _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
        _ dx: UnsafeMutablePointer<Float>?, batch: Int
    ) {
        guard let dx else { return }
        Border.crop(dy, into: dx, batch: batch, channels: channels, height: height, width: width, by: pad)
    }
}

/// Removes `crop` pixels from every side of each [H x W x C] image (NHWC).
public final class Crop2D: Layer {
    public let channels: Int, height: Int, width: Int, crop: Int
    public var inputSize: Int { height * width * channels }
    public var outputSize: Int { (height - 2 * crop) * (width - 2 * crop) * channels }

    public init(channels: Int, height: Int, width: Int, crop: Int) {
        precondition(channels > 0 && crop >= 0 && height > 2 * crop && width > 2 * crop,
                     "Crop2D: cannot crop \(crop) from each side of \(height)x\(width)")
        self.channels = channels; self.height = height; self.width = width; self.crop = crop
    }

    public func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch: Int) {
        Border.crop(x, into: y, batch: batch, channels: channels,
                    height: height - 2 * crop, width: width - 2 * crop, by: crop)
    }

    public func backward(
        _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
        _ dx: UnsafeMutablePointer<Float>?, batch: Int
    ) {
        guard let dx else { return }
        Border.pad(dy, into: dx, batch: batch, channels: channels,
                   height: height - 2 * crop, width: width - 2 * crop, by: crop)
    }
}

/// The two copies, both in terms of the small image [height x width] and the big one `by`
/// pixels larger on every side; a row of the small image is one contiguous run of the big one.
private enum Border {
    static func pad(_ small: UnsafePointer<Float>, into big: UnsafeMutablePointer<Float>, batch: Int,
                    channels c: Int, height: Int, width: Int, by p: Int) {
        let row = width * c, bigRow = (width + 2 * p) * c, edge = p * c
        var src = small, dst = big
        for _ in 0..<batch {
            dst.update(repeating: 0, count: p * bigRow); dst += p * bigRow
            for _ in 0..<height {
                dst.update(repeating: 0, count: edge)
                (dst + edge).update(from: src, count: row)
                (dst + edge + row).update(repeating: 0, count: edge)
                src += row; dst += bigRow
            }
            dst.update(repeating: 0, count: p * bigRow); dst += p * bigRow
        }
    }

    static func crop(_ big: UnsafePointer<Float>, into small: UnsafeMutablePointer<Float>, batch: Int,
                     channels c: Int, height: Int, width: Int, by p: Int) {
        let row = width * c, bigRow = (width + 2 * p) * c
        var src = big, dst = small
        for _ in 0..<batch {
            src += p * bigRow
            for _ in 0..<height {
                dst.update(from: src + p * c, count: row)
                src += bigRow; dst += row
            }
            src += p * bigRow
        }
    }
}
