import VAEPipeCore
import VAEPipeImageCodecs

/// A decoded image made into one example of the set: its channels brought to the set's, then
/// resized by the `--resize` mode onto a canvas of the set's size (the letterbox of `fit` in the
/// background colour, transparent when the set keeps alpha).
enum ImageFitting {
    static func render(_ image: RasterImage, into out: UnsafeMutablePointer<UInt8>, shape: ImageShape,
                       mode: ResizeMode, background bg: RGBColor) {
        let target = shape.channels
        let (pixels, c) = ChannelConversion.prepare(image, target: target, background: bg)
        let plan = Resample.plan(width: image.width, height: image.height, to: (shape.width, shape.height), mode: mode)
        if plan.region != (shape.width, shape.height) { fillBackground(out, shape: shape, bg) }

        let (rw, rh) = plan.region
        var local = plan
        local.offset = (0, 0)
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: rw * rh * c) { region in
            pixels.withUnsafeBufferPointer { src in
                Resample.resize(src.baseAddress!, width: image.width, height: image.height, channels: c,
                                plan: local, into: region.baseAddress!, outWidth: rw)
            }
            for y in 0..<rh {
                let to = out + ((plan.offset.y + y) * shape.width + plan.offset.x) * target
                ChannelConversion.place(region.baseAddress! + y * rw * c, count: rw, from: c, to: target, into: to)
            }
        }
    }

    private static func fillBackground(_ out: UnsafeMutablePointer<UInt8>, shape: ImageShape, _ bg: RGBColor) {
        let pixel: [UInt8] = switch shape.channels {
        case 1: [bg.luma]
        case 3: [bg.red, bg.green, bg.blue]
        default: [bg.red, bg.green, bg.blue, 0]
        }
        for p in 0..<(shape.width * shape.height) {
            for ch in 0..<shape.channels { out[p * shape.channels + ch] = pixel[ch] }
        }
    }
}
