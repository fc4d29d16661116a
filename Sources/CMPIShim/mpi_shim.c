#include "CMPIShim.h"
#include <mpi.h>
#include <stdio.h>

static int fail(int code, char *message, size_t size) {
    char text[MPI_MAX_ERROR_STRING];
    int length = 0;
    if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) snprintf(text, sizeof text, "MPI error %d", code);
    snprintf(message, size, "%s", text);
    return code;
}

int vp_mpi_init(int *rank, int *size, char *message, size_t message_size) {
    int provided = 0, code = MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
    if (code != MPI_SUCCESS) return fail(code, message, message_size);
    // A failed collective comes back as an error code (the caller names the rank and stops
    // the job) instead of MPI's default of aborting without saying where.
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    if ((code = MPI_Comm_rank(MPI_COMM_WORLD, rank)) != MPI_SUCCESS) return fail(code, message, message_size);
    if ((code = MPI_Comm_size(MPI_COMM_WORLD, size)) != MPI_SUCCESS) return fail(code, message, message_size);
    return 0;
}

// In place, in pieces of at most 2^30 elements (MPI counts are int).
int vp_mpi_sum_float(float *buffer, long count, char *message, size_t message_size) {
    for (long done = 0; done < count;) {
        int n = count - done > (1L << 30) ? 1 << 30 : (int)(count - done);
        int code = MPI_Allreduce(MPI_IN_PLACE, buffer + done, n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        if (code != MPI_SUCCESS) return fail(code, message, message_size);
        done += n;
    }
    return 0;
}

// Chunk r of a buffer of `count` floats cut every `chunk`, clamped to the buffer.
static void chunk_range(long r, long chunk, long count, long *lo, long *hi) {
    *lo = r * chunk < count ? r * chunk : count;
    *hi = *lo + chunk < count ? *lo + chunk : count;
}

// Recursive halving: at distance d = 1, 2, 4, ... each rank keeps the chunks whose index agrees
// with its rank in bit d, sends its partner (rank ^ d) the others and adds what it receives.
// a + b and b + a are the same float, so both partners' sums hold the same bits, and the sums
// pair up as a binary tree over the ranks in rank order (r with r ^ 1, then those pairs, ...).
int vp_mpi_reduce_scatter_pairwise_float(float *buffer, float *scratch, long count, long chunk,
                                         char *message, size_t message_size) {
    int rank = 0, size = 1, code;
    if ((code = MPI_Comm_rank(MPI_COMM_WORLD, &rank)) != MPI_SUCCESS) return fail(code, message, message_size);
    if ((code = MPI_Comm_size(MPI_COMM_WORLD, &size)) != MPI_SUCCESS) return fail(code, message, message_size);
    // The all-gather that follows sends the whole buffer's counts and offsets as ints.
    if (count > (1L << 30)) { snprintf(message, message_size, "%ld floats are over MPI's count", count); return -1; }
    for (int d = 1; d < size; d <<= 1) {
        int partner = rank ^ d;
        for (int j = 0; j < size; j++) {
            // Chunks both partners still hold (lower bits equal to the rank's) that the partner keeps.
            if ((j & (d - 1)) != (rank & (d - 1)) || (j & d) == (rank & d)) continue;
            int mine = j ^ d;
            long send_lo, send_hi, recv_lo, recv_hi;
            chunk_range(j, chunk, count, &send_lo, &send_hi);
            chunk_range(mine, chunk, count, &recv_lo, &recv_hi);
            code = MPI_Sendrecv(buffer + send_lo, (int)(send_hi - send_lo), MPI_FLOAT, partner, d,
                                scratch + recv_lo, (int)(recv_hi - recv_lo), MPI_FLOAT, partner, d, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            if (code != MPI_SUCCESS) return fail(code, message, message_size);
            for (long i = recv_lo; i < recv_hi; i++) buffer[i] += scratch[i];
        }
    }
    return 0;
}

// Every rank's chunk to every rank (a copy: no arithmetic, so the order cannot matter).
int vp_mpi_allgather_chunks_float(float *buffer, long count, long chunk, char *message, size_t message_size) {
    int size = 1, code;
    if ((code = MPI_Comm_size(MPI_COMM_WORLD, &size)) != MPI_SUCCESS) return fail(code, message, message_size);
    if (count > (1L << 30)) { snprintf(message, message_size, "%ld floats are over MPI's count", count); return -1; }
    int counts[size], offsets[size];
    for (int r = 0; r < size; r++) {
        long lo, hi;
        chunk_range(r, chunk, count, &lo, &hi);
        counts[r] = (int)(hi - lo); offsets[r] = (int)lo;
    }
    code = MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, buffer, counts, offsets, MPI_FLOAT, MPI_COMM_WORLD);
    return code == MPI_SUCCESS ? 0 : fail(code, message, message_size);
}

int vp_mpi_sum_double(double *buffer, long count, char *message, size_t message_size) {
    int code = MPI_Allreduce(MPI_IN_PLACE, buffer, (int)count, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    return code == MPI_SUCCESS ? 0 : fail(code, message, message_size);
}

int vp_mpi_finalize(void) { return MPI_Finalize(); }

void vp_mpi_abort(int code) { MPI_Abort(MPI_COMM_WORLD, code); }

const char *vp_mpi_library_version(void) {
    static char version[MPI_MAX_LIBRARY_VERSION_STRING];
    int length = 0;
    if (MPI_Get_library_version(version, &length) != MPI_SUCCESS) return "unknown";
    for (int i = 0; i < length; i++) if (version[i] == ',' || version[i] == '\n') { version[i] = 0; break; }
    return version;
}
