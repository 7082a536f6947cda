// cam_method.h
//
// CAM (Zhou et al., CVPR 2016): the plain classifier trained with the loss alone, CAM read
// from the last feature map at inference. The reference point every method is compared
// with; Method's defaults are exactly this, so it lives beside the interface.
#ifndef WSOL_METHODS_CAM_METHOD_H_
#define WSOL_METHODS_CAM_METHOD_H_

#include <string>

#include "wsol/methods/method.h"

namespace wsol::methods {

class CamMethod : public Method {
 public:
  std::string Name() const override { return "cam"; }
};

}  // namespace wsol::methods

#endif  // WSOL_METHODS_CAM_METHOD_H_
