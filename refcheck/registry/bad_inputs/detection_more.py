"""Bad and unusual inputs of GIoU / DIoU / CIoU, the GIoU and focal losses, batched NMS and COCO
evaluation."""
BAD_INPUTS = {}
