// cam_method.h
//
// CAM (Zhou et al., CVPR 2016): the plain classifier trained with the loss alone, CAM read
// from the last feature map at inference. The reference point every method is compared
// with; Method's defaults are exactly this.
#ifndef BASELINES_CAM_METHOD_H_
#define BASELINES_CAM_METHOD_H_

#include <string>

#include "wsol/methods/method.h"

namespace wsol::baselines {

class CamMethod : public methods::Method {
 public:
  std::string Name() const override { return "cam"; }
};

}  // namespace wsol::baselines

#endif  // BASELINES_CAM_METHOD_H_
