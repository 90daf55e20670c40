package dev.sparkllm.training;

import ai.djl.Device;
import ai.djl.engine.Engine;
import dev.sparkllm.core.SparkLlmException;
import java.util.Map;
import org.apache.spark.resource.ResourceInformation;

/**
 * Where a replica computes, decided in one place for the driver's replica and for barrier tasks, so
 * that the same options give the same device and the same refusals on every path.
 */
public final class Devices {
  private Devices() {}

  /** The driver's replica: from {@code training.device} and the GPUs PyTorch sees. */
  public static Device forDriver(TrainingOptions o) {
    int gpus = Engine.getInstance().getGpuCount();
    if (o.device() == DeviceKind.GPU && gpus == 0) {
      throw new SparkLlmException(
          "training.device=gpu but PyTorch sees no CUDA device; use training.device=cpu or auto"
              + " (GPU needs the pytorch-native-cu128 libraries or PYTORCH_LIBRARY_PATH)");
    }
    boolean gpu = o.device() == DeviceKind.GPU || (o.device() == DeviceKind.AUTO && gpus > 0);
    return checked(o, gpu ? Device.gpu() : Device.cpu(), gpus);
  }

  /** A barrier task's replica: the GPU Spark assigned to the task ("gpu" resource), else CPU. */
  public static Device forTask(
      Map<String, ResourceInformation> resources, TrainingOptions o, int rank) {
    ResourceInformation gpu = resources.get("gpu");
    int gpus = Engine.getInstance().getGpuCount();
    if (gpu != null && gpu.addresses().length > 0) {
      String address = gpu.addresses()[0].trim();
      if (gpus == 0) {
        throw new SparkLlmException(
            "rank "
                + rank
                + " was given GPU "
                + address
                + " by Spark but PyTorch sees no CUDA device; ship pytorch-native-cu128 or set"
                + " PYTORCH_LIBRARY_PATH on the executors");
      }
      return checked(o, Device.gpu(Integer.parseInt(address)), gpus);
    }
    if (o.device() == DeviceKind.GPU) {
      throw new SparkLlmException(
          "training.device=gpu but Spark gave rank "
              + rank
              + " no GPU; set spark.executor.resource.gpu.amount and"
              + " spark.task.resource.gpu.amount (with a discovery script), or"
              + " training.device=cpu");
    }
    return o.device() == DeviceKind.AUTO ? forDriver(o) : checked(o, Device.cpu(), gpus);
  }

  private static Device checked(TrainingOptions o, Device device, int gpus) {
    if (o.precision().isHalf() && !device.isGpu()) {
      throw new SparkLlmException(
          "training.precision="
              + o.precision()
              + " needs a GPU and none is in use (training.device="
              + o.device()
              + ", CUDA devices: "
              + gpus
              + "); set training.precision=fp32 to train on CPU");
    }
    return device;
  }
}
