import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type Membership, MembershipSchema, type User, UserSchema } from "../gen/keyward/admin/v1/key_pb.js";
import type { MembershipRecord, UserRecord } from "../store/user-repository.js";

/** The API resource for a user. */
export function userResource(u: UserRecord): User {
  return create(UserSchema, {
    id: u.id,
    name: u.name,
    defaultCompanyId: u.defaultCompanyId,
    createTime: timestampFromDate(u.createTime),
    updateTime: timestampFromDate(u.updateTime),
  });
}

/** The API resource for a membership. */
export function membershipResource(m: MembershipRecord): Membership {
  return create(MembershipSchema, {
    userId: m.userId,
    companyId: m.companyId,
    createTime: timestampFromDate(m.createTime),
    scopes: [...m.scopes],
    defaultCompanyId: m.defaultCompanyId,
  });
}
