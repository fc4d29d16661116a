/// A transposed 2-D convolution on NHWC images: the adjoint of Conv2D, so its forward is
/// Conv2D's input-gradient path. cols[(B*H*W) x K] = x W with W stored [Cin x K],
/// K = (ky, kx, Cout); each input pixel's row of cols is then scatter-added (col2im) onto the
/// output window it covers. `height` and `width` are the input's spatial size; the output is
/// (H - 1) * stride - 2 * padding + kernel on each side (2x for kernel 4, stride 2, padding 1).
public final class ConvTranspose2D: Layer, PartSummed {
    public let inChannels: Int, outChannels: Int
    public let height: Int, width: Int
    public let kernel: Int, stride: Int, padding: Int
    public let outputHeight: Int, outputWidth: Int
    public var inputSize: Int { height * width * inChannels }
    public var outputSize: Int { outputHeight * outputWidth * outChannels }

    /// The output image, with one window per input pixel.
    private let geometry: ConvGeometry
    private var p: WeightsAndBias
    /// cols in forward, dcols in backward: neither outlives its call, so they share one buffer.
    private let cols: BatchScratch
    private let lowering: Lowering

    public init(inChannels: Int, outChannels: Int, height: Int, width: Int,
                kernel: Int = 4, stride: Int = 2, padding: Int = 1, examplesPerSlice: Int? = nil) {
        let outH = (height - 1) * stride - 2 * padding + kernel
        let outW = (width - 1) * stride - 2 * padding + kernel
        precondition(inChannels > 0 && outChannels > 0 && height > 0 && width > 0
                     && kernel > 0 && stride > 0 && padding >= 0,
                     "bad ConvTranspose2D: in \(inChannels) out \(outChannels) k \(kernel) s \(stride) p \(padding)")
        precondition(outH > 0 && outW > 0, "ConvTranspose2D: padding \(padding) leaves no output for \(height)x\(width)")
        self.inChannels = inChannels; self.outChannels = outChannels
        self.height = height; self.width = width
        self.kernel = kernel; self.stride = stride; self.padding = padding
        outputHeight = outH; outputWidth = outW
        geometry = ConvGeometry(height: outH, width: outW, channels: outChannels,
                                kernel: kernel, stride: stride, padding: padding,
                                gridHeight: height, gridWidth: width)
        p = WeightsAndBias(weights: inChannels * geometry.windowSize, outputs: outChannels)
        cols = BatchScratch(perExample: geometry.gridSize * geometry.windowSize, slice: examplesPerSlice)
        lowering = Lowering(geometry)
    }

    public var parameterSpecs: [ParameterSpec] {
        [ParameterSpec(name: "weight", shape: [inChannels, kernel * kernel * outChannels]),
         ParameterSpec(name: "bias", shape: [outChannels])]
    }

    public func bind(values: UnsafeMutablePointer<Float>, gradients: UnsafeMutablePointer<Float>) {
        p.bind(values: values, gradients: gradients)
    }

    /// As PyTorch's nn.ConvTranspose2d, which takes fan_in from the weight's second axis:
    /// Cout * k * k, not Cin.
    public func initialize(rng: inout SplitMix64) { p.initialize(fanIn: geometry.windowSize, rng: &rng) }

    public func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch: Int) {
        for (first, count) in cols.slices(batch) {
            let c = cols.pointer(batch: count)
            GEMM.multiply(m: count * geometry.gridSize, n: geometry.windowSize, k: inChannels,
                          a: x + first * inputSize, b: p.w, c: c)
            // Starting y at the bias makes col2im's scatter-add the whole rest of the forward.
            lowering.col2im(c, batch: count, into: y + first * outputSize, start: .bias(p.b))
        }
    }

    public func backward(
        _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
        _ dx: UnsafeMutablePointer<Float>?, batch: Int, parts: BatchParts
    ) {
        let k = geometry.windowSize, grid = geometry.gridSize
        // db += column sums of dy ; dcols = im2col(dy) ; dW += x^T dcols ; dx = dcols W^T
        p.accumulateBiasGradient(dy, rows: batch * outputHeight * outputWidth, parts: parts, scale: outputHeight * outputWidth)
        p.accumulateWeightGradient(parts: parts, groupSize: cols.slice) { examples, dw, beta in
            let rows = examples.count * grid, d = cols.pointer(batch: examples.count)
            let xSlice = x + examples.lowerBound * inputSize
            lowering.im2col(dy + examples.lowerBound * outputSize, batch: examples.count, into: d)
            GEMM.multiply(transA: true, m: inChannels, n: k, k: rows, a: xSlice, b: d, beta: beta, c: dw)
            if let dx {
                GEMM.multiply(transB: true, m: rows, n: inChannels, k: k, a: d, b: p.w, c: dx + examples.lowerBound * inputSize)
            }
        }
    }
}
